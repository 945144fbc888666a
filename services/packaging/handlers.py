"""Packaging handlers: ask for builds on the events that call for one, build them, answer queries.

A trigger only records the request (idempotent, one transaction); the builder loop does the
slow part outside any message's ack window, and announces the result through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import msgspec
from faststream.nats import NatsBroker

from libs.common.bus import call
from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.base import utcnow
from proto.jobs import GetJob, GetTrainingFile, JobStatusChanged, JobView
from proto.monitoring import GetEventLog, GetMetrics
from proto.packaging import (
    ARTIFACT_KINDS,
    ArtifactDownloaded,
    ArtifactsBuilt,
    ArtifactsFailed,
    ArtifactsView,
    ArtifactView,
    GetDeploymentInstructions,
    ListArtifacts,
)
from proto.validation import GetValidation
from services.packaging import bundle, domain, instructions
from services.packaging.repository import Packaging

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # a build that keeps failing is announced failed, not retried forever
RETRY_S = 15.0


class ValidationDone(msgspec.Struct, frozen=True, kw_only=True):
    """The part of validation.run.completed.v1 packaging reads (the validation service owns
    the rest of it)."""

    event_id: uuid.UUID
    job_id: uuid.UUID


async def on_job_status(event: JobStatusChanged, uow: UnitOfWork) -> bool:
    if event.status != "completed":
        return False
    async with uow() as work:
        if not await work.first_time("packaging-on-job-status-changed", event.event_id):
            return False
        return await Packaging(work.conn).request_build(event.job_id)


async def on_validation_completed(event: ValidationDone, uow: UnitOfWork) -> bool:
    """A re-run validation rebuilds a completed job's artifacts; before the job completes,
    the build its completion asks for reads the validation then."""
    async with uow() as work:
        if not await work.first_time("packaging-on-validation-completed", event.event_id):
            return False
        return await Packaging(work.conn).request_build(event.job_id, only_if_known=True)


async def on_downloaded(event: ArtifactDownloaded, uow: UnitOfWork) -> None:
    async with uow() as work:
        if await work.first_time("packaging-on-artifact-downloaded", event.event_id):
            await Packaging(work.conn).count_download(event.job_id, event.kind)


# --- the builder --------------------------------------------------------------------------------


async def build_next(uow: UnitOfWork, broker: NatsBroker, store: ObjectStore,
                     timeout_s: float) -> int:
    """Build one claimed job's artifacts; 0 when nothing is waiting."""
    async with uow() as work:
        claim = await Packaging(work.conn).claim()
    if claim is None:
        return 0
    job_id, version = claim["job_id"], claim["version"]
    try:
        job, contents = await gather(broker, store, job_id, timeout_s)
        if job.status != "completed" or not job.adapter_key:
            raise ServiceError("not_completed", f"job is {job.status}, without an adapter", "")
        refs = await asyncio.to_thread(bundle.build, store, job_id, version, job.adapter_key,
                                       contents)
    except Exception as exc:
        await _failed(uow, job_id, version, claim["attempts"], exc)
        return 1
    async with uow() as work:
        repo, at = Packaging(work.conn), utcnow()
        for ref in refs:
            await repo.store_artifact(job_id, version, ref, at)
        await repo.built(job_id, version)
        work.emit(ArtifactsBuilt(job_id=job_id, version=version, artifacts=refs))
    log.info("job %s: artifacts v%d built (%s)", job_id, version,
             ", ".join(f"{r.kind} {r.size_bytes} B" for r in refs))
    return 1


async def _failed(uow: UnitOfWork, job_id: uuid.UUID, version: int, attempts: int,
                  exc: Exception) -> None:
    reason = exc.error.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, ServiceError):
        log.warning("job %s: build v%d raised", job_id, version, exc_info=exc)
    async with uow() as work:
        repo = Packaging(work.conn)
        if attempts < MAX_ATTEMPTS:
            log.warning("job %s: build v%d failed (try %d), retrying: %s", job_id, version,
                        attempts, reason)
            await repo.retry_later(job_id, RETRY_S * attempts, reason)
            return
        log.error("job %s: build v%d failed for good: %s", job_id, version, reason)
        for kind in ARTIFACT_KINDS:
            await repo.artifact_failed(job_id, kind, version, f"Packaging failed: {reason}")
        await repo.built(job_id, version)
        work.emit(ArtifactsFailed(job_id=job_id, version=version, reason=reason))


async def gather(broker: NatsBroker, store: ObjectStore, job_id: uuid.UUID,
                 timeout_s: float) -> tuple[JobView, bundle.Contents]:
    """Everything a build reads, asked of the services that own it."""
    job = msgspec.convert(await call(broker, GetJob(job_id=job_id), timeout_s), JobView)
    metrics, validation, file, log_page = await asyncio.gather(
        call(broker, GetMetrics(job_id=job_id), timeout_s),
        _optional(broker, GetValidation(job_id=job_id)),
        _optional(broker, GetTrainingFile(training_file_id=job.training_file_id)),
        _optional(broker, GetEventLog(job_id=job_id, q="Data ready", limit=1)),
    )
    from trainer.model import EMBEDDED_HUB_IDS

    base = domain.base_model(job.model.name, EMBEDDED_HUB_IDS)
    data_events = (log_page or {}).get("events") or [{}]
    report = data_events[0].get("payload")
    versions = bundle.installed_versions()
    summary = domain.training_summary(
        job, domain.final_metrics(metrics["train"], metrics["eval"]),
        domain.validation_summary(validation), domain.data_statistics(file, report), base, versions)
    needs = instructions.gpu_needs(job.model.parameter_count, job.lora.r,
                                   list(job.lora.target_modules), job.hyperparameters.max_seq_len)
    prompts = await asyncio.to_thread(_prompts, store, validation, file, job.hyperparameters.seed)
    return job, bundle.Contents(summary=summary, needs=needs, prompts=prompts,
                                validation=validation, versions=versions)


async def _optional(broker: NatsBroker, request: Any) -> Any:
    """An answer that improves the artifacts but must not block them (None without one)."""
    try:
        return await call(broker, request, 5.0, wait_for_service=False)
    except ServiceError as exc:
        log.info("%s unanswered (%s); building without it", type(request).__name__,
                 exc.error.code)
        return None


def _prompts(store: ObjectStore, validation: Any, file: dict[str, Any] | None,
             seed: int) -> list[dict[str, Any]]:
    """Held-out scenarios: the EI suite's (what validation answered) if stored, else the
    training file's held-out split, split as the trainer split it."""
    for key in _ei_detail_keys(validation):
        try:
            detail = msgspec.json.decode(store.get_bytes(key))
            if prompts := domain.example_prompts(detail.get("scenarios") or []):
                return prompts
        except Exception:
            log.warning("EI detail %s unreadable; using the training file", key, exc_info=True)
    if not file or not file.get("storage_key"):
        return []
    from trainer.data import load_pairs, split_by_conversation

    held_out = split_by_conversation(load_pairs(store, file["storage_key"]), seed)[1]
    return domain.example_prompts([msgspec.to_builtins(p) for p in held_out])


def _ei_detail_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = ([value["detail_key"]] if value.get("suite") == "emotional_intelligence"
               and isinstance(value.get("detail_key"), str) else [])
        return own + [k for v in value.values() for k in _ei_detail_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _ei_detail_keys(v)]
    return []


# --- queries ------------------------------------------------------------------------------------


async def list_artifacts(q: ListArtifacts, uow: UnitOfWork, broker: NatsBroker,
                         timeout_s: float) -> ArtifactsView:
    job = await call(broker, GetJob(job_id=q.job_id), timeout_s)  # unknown job: its 404
    async with uow() as work:
        build, rows = await Packaging(work.conn).artifacts(q.job_id)
    by_kind = {r["kind"]: r for r in rows}
    views = []
    for kind in ARTIFACT_KINDS:
        row = by_kind.get(kind)
        status, message = domain.artifact_status(kind, build, row, job["status"])
        ready = row is not None and row["key"] is not None and status == "ready"
        views.append(ArtifactView(
            kind=kind, status=status, message=message,
            key=row["key"] if ready else None, filename=row["filename"] if ready else "",
            size_bytes=row["size_bytes"] if ready else None,
            sha256=row["sha256"] if ready else None, version=row["version"] if row else 0,
            built_at=row["built_at"] if ready else None, downloads=row["downloads"] if row else 0))
    return ArtifactsView(job_id=q.job_id, job_status=job["status"], artifacts=views)


async def deployment_instructions(q: GetDeploymentInstructions, broker: NatsBroker,
                                  timeout_s: float) -> dict[str, Any]:
    """UJ6.2.2 for the console: the package README's sections, as tabs."""
    job, contents = await gather_light(broker, q.job_id, timeout_s)
    return {"job_id": q.job_id, "sections": [
        {"key": k, "title": t, "markdown": b}
        for k, t, b in instructions.sections(contents.summary, contents.needs)]}


async def gather_light(broker: NatsBroker, job_id: uuid.UUID, timeout_s: float
                       ) -> tuple[JobView, bundle.Contents]:
    """What the instructions need: the job, not its data or validation detail."""
    from trainer.model import EMBEDDED_HUB_IDS

    job = msgspec.convert(await call(broker, GetJob(job_id=job_id), timeout_s), JobView)
    base = domain.base_model(job.model.name, EMBEDDED_HUB_IDS)
    versions = bundle.installed_versions()
    summary = domain.training_summary(job, domain.FinalMetrics(), domain.NOT_RUN, {}, base,
                                      versions)
    needs = instructions.gpu_needs(job.model.parameter_count, job.lora.r,
                                   list(job.lora.target_modules), job.hyperparameters.max_seq_len)
    return job, bundle.Contents(summary=summary, needs=needs, prompts=[], validation=None,
                                versions=versions)

