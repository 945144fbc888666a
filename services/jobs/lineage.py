"""Retry (UJ4.2.2) and manual resume (UJ4.3.2): a new job linked to its parent, never a
mutation of history, with the diff of what changed. Planned and checked here; estimated,
reserved and created through services/jobs/creation.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.base import utcnow
from proto.job_state import FieldChange, Lineage
from proto.jobs import JobStatusChanged, JobView, ListCheckpoints, ResumeJob, RetryJob
from proto.presets import LORA_FIELDS
from proto.training import Hyperparameters, LoraSettings
from services.jobs import checkpoints, domain
from services.jobs.admission import Platform, check_gpu
from services.jobs.handlers import job_view, queued_event
from services.jobs.repository import Jobs

JOB_FIELDS = ("pricing", "gpu_type")
# The checkpoint carries the run's trajectory (weights, optimizer, schedule, data order): on a
# resume only how often it saves may change, besides where it runs (trainer/checkpoint.py).
EDITABLE_ON_RESUME = {"checkpoint_every_steps"}
SPOKEN_NAMES = {"micro_batch_size": "batch_size"}  # the spec's word for it


def plan(parent: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The parent's configuration with `changes` applied, range-checked, and the diff."""
    config = {"lora": dict(parent["lora"]), "hyperparameters": dict(parent["hyperparameters"]),
              "job": {f: parent[f] for f in JOB_FIELDS}}
    for name, value in changes.items():
        section = "lora" if name in LORA_FIELDS else "job" if name in JOB_FIELDS else \
            "hyperparameters"
        config[section][name] = value
    msgspec.convert(config["lora"], LoraSettings)  # raises ValidationError with the range
    msgspec.convert(config["hyperparameters"], Hyperparameters)
    diff = [FieldChange(field=name, before=parent[s].get(name) if s != "job" else parent[name],
                        after=value)
            for s in ("lora", "hyperparameters", "job") for name, value in config[s].items()
            if value != (parent[s].get(name) if s != "job" else parent[name])]
    return {"lora": config["lora"], "hyperparameters": config["hyperparameters"],
            **config["job"], "changes": diff}


def describe(diff: list[FieldChange]) -> str:
    """"batch_size reduced, grad_accumulation increased" — the words of a job's notes."""
    parts = []
    for change in diff:
        name, before, after = (SPOKEN_NAMES.get(change.field, change.field), change.before,
                               change.after)
        if isinstance(before, int | float) and isinstance(after, int | float):
            parts.append(f"{name} {'reduced' if after < before else 'increased'}")
        else:
            parts.append(f"{name} switched to {after}")
    return ", ".join(parts) or "the same configuration"


def _requested(overrides: Any, pricing: str | None, gpu_type: str | None) -> dict[str, Any]:
    given = {k: v for k, v in msgspec.structs.asdict(overrides).items() if v is not None}
    return {**given, **({"pricing": pricing} if pricing else {}),
            **({"gpu_type": gpu_type} if gpu_type else {})}


async def _parent(uow: UnitOfWork, job_id: uuid.UUID, code: str, done: str) -> dict[str, Any]:
    async with uow() as work:
        parent = await Jobs(work.conn).run_config(job_id)
    if parent is None:
        raise ServiceError.not_found("job", job_id)
    if parent["status"] not in ("failed", "cancelled"):
        raise ServiceError(
            code, f"Job {parent['name']!r} is {parent['status']}; only a failed or cancelled "
            f"job can be {done}.",
            "Wait for it to end, or cancel it first.", {"status": parent["status"]}, 409)
    return parent


def _checked_plan(parent: dict[str, Any], changes: dict[str, Any], fix: str) -> dict[str, Any]:
    try:
        return plan(parent, changes)
    except msgspec.ValidationError as exc:
        raise ServiceError("invalid_hyperparameter", f"The new configuration is not valid: {exc}.",
                           fix, {"changes": changes}, 422) from exc


class Linked(msgspec.Struct, frozen=True, kw_only=True):
    """A retry or resume planned and checked: what its dry run answers, and how to create it
    once the cost service has estimated it and reserved its budget (services/jobs/creation.py)."""

    parent: dict[str, Any]
    planned: dict[str, Any]
    answer: dict[str, Any]  # the plan, its diff and notes, as the confirmation step shows it
    name: str
    create: Callable[[dict[str, Any], uuid.UUID], Awaitable[JobView]]


async def retry_plan(cmd: RetryJob, uow: UnitOfWork, platform: Platform) -> Linked:
    parent = await _parent(uow, cmd.job_id, "job_not_retryable", "retried")
    suggested = dict((parent["error"] or {}).get("suggested_changes") or {})
    changes = {**(suggested if cmd.apply_suggested else {}),
               **_requested(cmd.overrides, cmd.pricing, cmd.gpu_type)}
    fix = ("Retry without the suggestion (apply_suggested: false) and set the values yourself."
           if cmd.apply_suggested and suggested else "Use values inside the ranges named.")
    planned = _checked_plan(parent, changes, fix)
    planned["notes"] = f"Retry of {parent['name']} with {describe(planned['changes'])}"
    check_gpu(platform, planned["gpu_type"], parent["gpu_count"])
    lineage = Lineage(kind="retry", parent_job_id=parent["id"], parent_name=parent["name"],
                      changes=planned["changes"],
                      applied_suggestion=bool(cmd.apply_suggested and suggested))
    name = cmd.name or f"{parent['name']} (retry)"
    return Linked(parent=parent, planned=planned, name=name,
                  answer={**planned, "suggested_changes": suggested},
                  create=lambda estimate, reservation_id: _create_linked(
                      uow, parent, planned, lineage, name, estimate, None, reservation_id))


async def resume_plan(cmd: ResumeJob, uow: UnitOfWork, store: ObjectStore, platform: Platform
                      ) -> Linked:
    parent = await _parent(uow, cmd.job_id, "job_not_resumable", "resumed")
    step, key, size = await _valid_checkpoint(store, parent, cmd.checkpoint_step)
    changes = _requested(cmd.overrides, cmd.pricing, cmd.gpu_type)
    fixed = sorted(n for n, v in changes.items() if n not in EDITABLE_ON_RESUME | set(JOB_FIELDS)
                   and v != (parent["lora"] if n in LORA_FIELDS else
                             parent["hyperparameters"]).get(n))
    if fixed:
        raise ServiceError(
            "not_editable_on_resume", f"{', '.join(fixed)} cannot change on a resume: the "
            f"checkpoint's optimizer, schedule and data order carry the run's settings.",
            "Retry from the start to change them (POST /jobs/{id}/retry), or resume without "
            "them.", {"fields": fixed}, 422)
    planned = _checked_plan(parent, changes, "Use values inside the ranges named.")
    check_gpu(platform, planned["gpu_type"], parent["gpu_count"])
    planned.update(checkpoint_step=step, checkpoint_size_bytes=size,
                   notes=f"Resumed from {parent['name']} at step {step}")
    lineage = Lineage(kind="resume", parent_job_id=parent["id"], parent_name=parent["name"],
                      changes=planned["changes"], checkpoint_step=step, checkpoint_key=key)
    name = cmd.name or f"{parent['name']} (resumed)"
    return Linked(parent=parent, planned=planned, name=name, answer=planned,
                  create=lambda estimate, reservation_id: _create_linked(
                      uow, parent, planned, lineage, name, estimate, (store, key, step),
                      reservation_id))


async def _valid_checkpoint(store: ObjectStore, parent: dict[str, Any], wanted: int | None
                            ) -> tuple[int, str, int]:
    available = await asyncio.to_thread(checkpoints.complete_checkpoints, store, parent["id"])
    steps = sorted(available)
    if not steps:
        raise ServiceError("no_checkpoints", f"Job {parent['name']!r} saved no checkpoint to "
                           "resume from.", "Retry it from the start (POST /jobs/{id}/retry).",
                           {}, 409)
    step = steps[-1] if wanted is None else wanted
    if step not in available:
        raise ServiceError("checkpoint_not_found", f"Job {parent['name']!r} has no checkpoint "
                           f"at step {step}.", "Choose one of the available steps.",
                           {"available_steps": steps}, 404)
    try:
        size = await asyncio.to_thread(checkpoints.verify, store, available[step])
    except checkpoints.CheckpointInvalid as exc:
        raise ServiceError(
            "checkpoint_corrupt", f"The checkpoint at step {step} of job {parent['name']!r} is "
            f"corrupt: {exc}.", "Resume from an earlier checkpoint (checkpoint_step), or retry "
            "from the start.", {"step": step, "problem": str(exc),
                                "available_steps": [s for s in steps if s != step]}, 422) from exc
    return step, available[step], size


async def _create_linked(uow: UnitOfWork, parent: dict[str, Any], planned: dict[str, Any],
                         lineage: Lineage, name: str, estimate: dict[str, Any],
                         resume: tuple[ObjectStore, str, int] | None,
                         reservation_id: uuid.UUID) -> JobView:
    job_id, now = uuid.uuid4(), utcnow()
    resume_from = None
    if resume is not None:  # copied before the job exists: a failed copy leaves no job behind
        store, key, step = resume
        resume_from = checkpoints.checkpoint_key(job_id, step)
        await asyncio.to_thread(checkpoints.copy, store, key, resume_from)
    async with uow() as work:
        jobs = Jobs(work.conn)
        await jobs.add({
            "id": job_id, "name": domain.unique_job_name(name, await jobs.names_like(name), now),
            "description": parent["description"], "notes": planned["notes"],
            "tags": parent["tags"], "training_file_id": parent["training_file_id"],
            "preset": parent["preset"], "model": parent["model"], "lora": planned["lora"],
            "hyperparameters": planned["hyperparameters"], "gpu_type": planned["gpu_type"],
            "gpu_count": parent["gpu_count"],
            "pricing": planned["pricing"], "status": "queued",
            "estimate": estimate,
            "parent_job_id": parent["id"], "lineage": lineage, "reservation_id": reservation_id,
            "validation": parent["validation"],  # a retry or resume validates as its parent
        })
        work.emit(queued_event(await jobs.run_config(job_id), attempt=1, resume_from=resume_from))
        work.emit(JobStatusChanged(job_id=job_id, status="queued", message=planned["notes"] + "."))
        return job_view(await jobs.view(job_id))


async def list_checkpoints(q: ListCheckpoints, uow: UnitOfWork, store: ObjectStore
                           ) -> list[dict[str, Any]]:
    """The steps a resume could start from, as the resume finds them (complete checkpoints;
    their checksums are checked only when one is chosen, so listing stays cheap)."""
    async with uow() as work:
        if await Jobs(work.conn).view(q.job_id) is None:
            raise ServiceError.not_found("job", q.job_id)
    available = await asyncio.to_thread(checkpoints.complete_checkpoints, store, q.job_id)
    return [{"step": step, "key": available[step]} for step in sorted(available)]
