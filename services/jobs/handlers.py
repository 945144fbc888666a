"""One function per command or event: load, call the domain, save, emit."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import PurePath
from typing import Any

import msgspec

from libs.common.model_size import resolved
from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from libs.common.training_format import TrainingFormatError, parse_training_file
from proto.api import ServiceError
from proto.base import utcnow
from proto.job_state import Interruption
from proto.jobs import (
    CancelJob,
    CreateJob,
    FaultInjection,
    GetJob,
    GetJobHistory,
    GetTrainingFile,
    JobCancelled,
    JobQueued,
    JobStatusChanged,
    JobView,
    ListJobs,
    ListTrainingFiles,
    RegisterTrainingFile,
)
from proto.presets import PRESETS, resolve
from proto.training import Hyperparameters, LoraSettings, ModelRef
from proto.validation import ValidationPlan
from services.jobs import domain, history, training_sets
from services.jobs.admission import Platform, check_new_job
from services.jobs.repository import JobHistory, Jobs
from services.jobs.training_file_eligibility import check_eligibility
from services.jobs.training_file_repository import TrainingFiles
from services.jobs.training_file_stats import compute_stats

# --- Training files ------------------------------------------------------------------------------


def _analyse(data: bytes, filename: str, min_conversations: int) -> tuple[Any, Any, Any]:
    parsed = parse_training_file(data, filename)
    stats = compute_stats(parsed)
    return parsed, stats, check_eligibility(stats, min_conversations=min_conversations)


def file_view(row: dict[str, Any]) -> dict[str, Any]:
    stats = row["stats"]
    return {
        "id": row["id"], "name": row["name"], "filename": row["filename"], "format": row["format"],
        "size_bytes": row["size_bytes"], "created_at": row["created_at"],
        "conversation_count": stats.get("conversation_count"),
        "quality_badge": stats.get("quality_badge"),
        "stats": stats, "eligibility": row["eligibility"],
        # Packaging reads the file for a package's example prompts (its held-out split).
        "storage_key": row.get("storage_key"),
    }


async def register_training_file(
    cmd: RegisterTrainingFile, uow: UnitOfWork, store: ObjectStore, min_conversations: int
) -> dict[str, Any]:
    """Parse and analyse an uploaded file; a file that cannot be parsed leaves nothing behind."""
    data = await asyncio.to_thread(store.get_bytes, cmd.storage_key)
    try:
        parsed, stats, eligibility = await asyncio.to_thread(
            _analyse, data, cmd.filename, min_conversations
        )
    except TrainingFormatError as exc:
        await asyncio.to_thread(store.delete, cmd.storage_key)
        raise ServiceError(exc.code, exc.message, exc.how_to_fix, exc.details, 422) from exc
    row = {
        "id": uuid.uuid4(),
        "name": (parsed.metadata or {}).get("file_name") or PurePath(cmd.filename).stem,
        "filename": cmd.filename, "storage_key": cmd.storage_key, "format": parsed.format,
        "size_bytes": cmd.size_bytes, "stats": stats, "eligibility": eligibility,
    }
    async with uow() as work:
        files = TrainingFiles(work.conn)
        await files.add(row)
        return file_view(await files.get(row["id"]))


async def list_training_files(q: ListTrainingFiles, uow: UnitOfWork) -> list[dict[str, Any]]:
    async with uow() as work:
        return [file_view(r) for r in await TrainingFiles(work.conn).search(q.q.strip(), q.limit)]


async def get_training_file(q: GetTrainingFile, uow: UnitOfWork) -> dict[str, Any]:
    async with uow() as work:
        row = await TrainingFiles(work.conn).get(q.training_file_id)
    if row is None:
        raise ServiceError.not_found("training file", q.training_file_id)
    return file_view(row)


async def list_presets(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The presets, each with its success rate here (UJ1.2.1: "92% of 25 finished jobs")."""
    async with uow() as work:
        rows = await JobHistory(work.conn).finished()
    rates = history.preset_success([msgspec.convert(r, history.FinishedJob) for r in rows], PRESETS)
    return [{**msgspec.to_builtins(p), "success": msgspec.to_builtins(rates[name])}
            for name, p in PRESETS.items()]


async def job_history(q: GetJobHistory, uow: UnitOfWork) -> dict[str, Any]:
    """UJ1.2.2 / UJ2.1.2, per GPU type: spot interruption rate and GPU return times here."""
    async with uow() as work:
        repo = JobHistory(work.conn)
        finished, waits = await repo.finished(), await repo.gpu_waits(q.gpu_type)
    jobs = [msgspec.convert(r, history.FinishedJob) for r in finished]
    overall, per_gpu = history.spot_interruptions(jobs)
    returns = history.return_times(msgspec.convert(r, history.GpuWaitRow) for r in waits)
    none = history.return_time([])

    def of(gpu: str) -> dict[str, Any]:
        return msgspec.to_builtins({
            "spot_interruption": per_gpu.get(gpu) or history.rate(0, 0, "", ""),
            "gpu_return": {p: returns.get(gpu, {}).get(p) or none for p in ("spot", "on_demand")}})

    gpus = sorted(set(per_gpu) | set(returns))
    return {"spot_interruption": msgspec.to_builtins(overall),
            "pricing_success": msgspec.to_builtins(history.pricing_success(jobs)),
            "gpu_types": {g: of(g) for g in gpus if q.gpu_type in (None, g)},
            "unknown_gpu": of("")}  # what a type with no jobs here yet shows


# --- Jobs ----------------------------------------------------------------------------------------


def _ineligible(row: dict[str, Any]) -> ServiceError:
    problems = row["eligibility"].get("problems", [])
    return ServiceError(
        "training_file_not_eligible",
        f"Training file {row['name']!r} does not meet the requirements: "
        + "; ".join(p["message"] for p in problems),
        " ".join(p["how_to_fix"] for p in problems),
        {"problems": problems}, 422,
    )


async def create_job(cmd: CreateJob, uow: UnitOfWork, platform: Platform,
                     estimate: dict[str, Any], reservation_id: uuid.UUID) -> JobView:
    """The job, in one transaction, with the estimate the cost service made and the budget it
    reserved for it (services/jobs/creation.py asks for both)."""
    check_new_job(platform, cmd.gpu_type, cmd.gpu_count, cmd.fault_injection)
    lora, hyper = resolve(cmd.preset, cmd.overrides)
    now = utcnow()
    async with uow() as work:
        file_id = await training_sets.training_file_id_for(cmd, work.conn)
        file_row = await TrainingFiles(work.conn).get(file_id)
        if file_row is None:
            raise ServiceError.not_found("training file", file_id)
        if not file_row["eligibility"].get("eligible"):
            raise _ineligible(file_row)
        jobs = Jobs(work.conn)
        base = (cmd.name or "").strip() or domain.default_job_name(file_row["name"], cmd.preset, now)
        job_id = uuid.uuid4()
        await jobs.add({
            "id": job_id, "name": domain.unique_job_name(base, await jobs.names_like(base), now),
            "description": cmd.description, "notes": cmd.notes, "tags": list(dict.fromkeys(cmd.tags)),
            # the parameter count of the model it will load, not the one the client declared
            "training_file_id": file_row["id"], "preset": cmd.preset, "model": resolved(cmd.model),
            "lora": lora, "hyperparameters": hyper, "gpu_type": cmd.gpu_type,
            "gpu_count": cmd.gpu_count,
            "pricing": cmd.pricing, "status": "queued", "estimate": estimate,
            "parent_job_id": None, "reservation_id": reservation_id,
            "fault_injection": cmd.fault_injection,
            "validation": domain.validation_plan(cmd.validation),
        })
        work.emit(queued_event(await jobs.run_config(job_id), attempt=1))
        work.emit(JobStatusChanged(job_id=job_id, status="queued", message="Job created and queued."))
        return job_view(await jobs.view(job_id))


def queued_event(config: dict[str, Any], attempt: int, resume_from: str | None = None
                 ) -> JobQueued:
    """What provisioning needs to run (an attempt of) the job, and cost to account for it."""
    return JobQueued(
        job_id=config["id"], attempt=attempt, training_file_key=config["training_file_key"],
        model=msgspec.convert(config["model"], ModelRef),
        lora=msgspec.convert(config["lora"], LoraSettings),
        hyperparameters=msgspec.convert(config["hyperparameters"], Hyperparameters),
        gpu_type=config["gpu_type"], pricing=config["pricing"],
        gpu_count=config["gpu_count"], provider="local" if config["gpu_type"] == "cpu" else "runpod",
        resume_from=resume_from,
        fault_injection=msgspec.convert(config["fault_injection"], FaultInjection)
        if config["fault_injection"] else None,
        name=config["name"], tags=list(config["tags"]), estimate=config["estimate"],
        created_at=config["created_at"], parent_job_id=config["parent_job_id"],
        reservation_id=config.get("reservation_id"),
        validation=msgspec.convert(config["validation"], ValidationPlan)
        if config.get("validation") is not None else None,
    )


def job_view(row: dict[str, Any]) -> JobView:
    rate = (row.get("estimate") or {}).get("hourly_rate_cents")
    items = msgspec.convert(row.get("interruptions") or [], list[Interruption])
    history = domain.interruption_history(items, row["status"], rate)
    return msgspec.convert({**row, "interruption_history": history}, JobView)


async def list_jobs(q: ListJobs, uow: UnitOfWork) -> list[JobView]:
    async with uow() as work:
        return [job_view(r) for r in await Jobs(work.conn).list(q.status, q.limit, q.after_job_id)]


async def get_job(q: GetJob, uow: UnitOfWork) -> JobView:
    async with uow() as work:
        row = await Jobs(work.conn).view(q.job_id)
    if row is None:
        raise ServiceError.not_found("job", q.job_id)
    return job_view(row)


async def cancel_job(cmd: CancelJob, uow: UnitOfWork) -> JobView:
    async with uow() as work:
        jobs = Jobs(work.conn)
        job = await jobs.get_for_update(cmd.job_id)
        if job is None:
            raise ServiceError.not_found("job", cmd.job_id)
        job.cancel(reason=cmd.reason, at=utcnow())
        await jobs.save(job)
        emit_changes(work, job)
        work.emit(JobCancelled(job_id=job.id, reason=cmd.reason))
        return job_view(await jobs.view(job.id))


def emit_changes(work: Any, job: domain.Job) -> None:
    rerun = job.validation_rerun is not None and job.validation_rerun.attempt == job.attempt
    for previous, status, message in job.changes:
        work.emit(JobStatusChanged(job_id=job.id, status=status, previous=previous, message=message,
                                   attempt=job.attempt, validation_rerun=rerun))
