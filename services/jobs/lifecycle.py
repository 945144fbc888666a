"""The job's life after creation: trainer and instance events, interruption recovery (UJ4.1.1),
and the watchdog that notices lost heartbeats and stuck stages (UJ3.3.1)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from libs.common.outbox import UnitOfWork
from proto import trainer_exit
from proto.base import utcnow
from proto.job_state import JobFailure
from proto.jobs import JobCancelled, StageStuck
from proto.provisioning import InstanceExited, InstanceFailedToStart, InstanceStarted
from proto.training import (
    WEBHOOK_RETRY_MAX_S,
    Completed,
    Failed,
    Heartbeat,
    Progress,
    StageChanged,
    TrainerEvent,
)
from services.jobs import domain, gpu_retry
from services.jobs.handlers import emit_changes, queued_event
from services.jobs.repository import Jobs

log = logging.getLogger(__name__)

STAGE_MESSAGES = {
    "preprocessing": "Preparing the training data.",
    "model_loading": "Loading the base model.",
    "training": "Training.",
    "finalizing": "Saving the adapter.",
    "validating": "Validating the trained model.",
}


def _apply_trainer_event(job: domain.Job, event: TrainerEvent) -> bool:
    """Apply one event of the current attempt; True when it interrupted the job."""
    at = event.occurred_at
    match event:
        case StageChanged(stage="validating"):
            # Its details are progress ("12 of 50 scenarios answered"), not the job's status.
            job.advance("validating", STAGE_MESSAGES["validating"], at)
        case StageChanged(stage=stage, detail=detail):
            if stage == "training":
                job.resuming_from(event.resumed_from_step)
            job.advance(stage, detail or STAGE_MESSAGES[stage], at)
        case Progress(step=step):
            job.trained(step, at)
            job.advance("training", STAGE_MESSAGES["training"], at)
        case Completed(adapter_key=key):
            job.advance("finalizing", STAGE_MESSAGES["finalizing"], at)
            job.complete(key, at)
        case Failed(failure_class="interrupted"):
            # SIGTERM (a spot reclaim notice): the trainer checkpointed and stopped on purpose.
            return job.interrupt("reclaimed; checkpointed on SIGTERM", at, step=event.step)
        case Failed():
            job.fail(JobFailure(
                source="trainer", failure_class=event.failure_class, message=event.message,
                suggested_fix=event.suggested_fix, suggested_changes=event.suggested_changes,
                step=event.step, last_checkpoint_key=event.last_checkpoint_key), at)
    return False


LEDGERED = (StageChanged, Progress, Completed, Failed)  # the rest only say "alive"


async def on_trainer_events(events: list[TrainerEvent], uow: UnitOfWork) -> None:
    """A batch of trainer events, in stream order, in one transaction: each job is read and
    saved once however many of its events the batch holds, and "last seen" is written once
    per attempt rather than once per event."""
    async with uow() as work:
        jobs = Jobs(work.conn)
        alive: dict[tuple[uuid.UUID, int], int | None] = {}  # (job, attempt) -> heartbeat step
        touched: dict[uuid.UUID, domain.Job] = {}
        for event in events:
            key = (event.job_id, event.attempt)
            step = event.step if isinstance(event, Heartbeat) else None
            alive[key] = max((s for s in (alive.get(key), step) if s is not None), default=None)
            if not isinstance(event, LEDGERED):
                continue
            if not await work.first_time("jobs-on-training-event", event.event_id):
                continue
            job = touched.get(event.job_id) or await jobs.get_for_update(event.job_id)
            if job is None:
                continue
            touched[job.id] = job
            if event.attempt != job.attempt:
                if isinstance(event, Progress) and event.attempt < job.attempt:
                    job.late_progress(event.attempt, event.step)  # steps lost are counted right
                continue  # otherwise an older attempt's event changes nothing
            if _apply_trainer_event(job, event):
                await _queue_next_attempt(work, jobs, job)
        for job in touched.values():
            await jobs.save(job)
            emit_changes(work, job)
        # After the saves: an attempt that was replaced in this batch is no longer heard from.
        for (job_id, attempt), step in alive.items():
            await jobs.seen(job_id, attempt, step)


async def _queue_next_attempt(work: Any, jobs: Jobs, job: domain.Job) -> None:
    """The new attempt resumes from the newest valid checkpoint (the trainer finds it)."""
    work.emit(queued_event(await jobs.run_config(job.id), attempt=job.attempt))


async def on_instance_event(
    event: InstanceStarted | InstanceExited | InstanceFailedToStart, uow: UnitOfWork
) -> None:
    async with uow() as work:
        if not await work.first_time("jobs-on-instance-event", event.event_id):
            return
        jobs = Jobs(work.conn)
        job = await jobs.get_for_update(event.job_id)
        if job is None or event.attempt != job.attempt:
            return
        if gpu_retry.is_no_gpu(job, event):  # UJ2.1.2: wait, and offer the ways on
            return await gpu_retry.wait_for_gpu(work, jobs, job, event)
        if _apply_instance_event(job, event):
            await _queue_next_attempt(work, jobs, job)
        elif isinstance(event, InstanceStarted) and job.status == "cancelled":
            # Cancelled while this instance was being started: have it stopped too (UJ4.3.1).
            work.emit(JobCancelled(job_id=job.id, reason="the job was cancelled while its "
                                                         "instance was starting"))
        await jobs.save(job)
        emit_changes(work, job)


def _apply_instance_event(job: domain.Job, event: Any) -> bool:
    at = event.occurred_at
    match event:
        case InstanceStarted(provider=provider, detail=detail):
            job.advance("provisioning", detail or f"Instance started on the {provider} provider.", at)
        case InstanceFailedToStart(message=message) if job.attempt > 1:
            return job.interrupt(f"the new instance failed to start: {message}", at)
        case InstanceFailedToStart(message=message):
            job.fail(JobFailure(source="provisioning", failure_class="provisioning",
                                message=message), at)
        case InstanceExited(exit_code=code) if code in trainer_exit.GAVE_UP:
            # The trainer reported why itself; its Failed event brings the details.
            job.fail(JobFailure(source="provisioning", failure_class="internal",
                                message=f"The training process ended unexpectedly "
                                        f"(exit code {code}). {event.reason}".strip()), at)
        case InstanceExited(exit_code=code) if code != 0:
            return job.interrupt(f"instance exited (code {code})", at)
    return False


# --- The watchdog --------------------------------------------------------------------------------


async def watchdog(uow: UnitOfWork, heartbeat_timeout_s: float, interval_s: float = 2.0,
                   bus_up: Callable[[], bool] = lambda: True) -> None:
    """UJ4.1.1: a trainer silent past the timeout is lost (detected within 30 s); UJ3.3.1: a
    stage past twice its expected duration gets a warning."""
    # Judge heartbeats only once this process has listened for a full timeout: after a restart,
    # the backlog of events it missed has to land before silence means anything. A bus outage
    # is the same: no trainer can be heard through it, and once it is over each trainer's
    # webhook sink may still be waiting out its backoff (up to WEBHOOK_RETRY_MAX_S).
    listening_since = time.monotonic()
    while True:
        if not bus_up():
            listening_since = time.monotonic() + WEBHOOK_RETRY_MAX_S
        try:
            if time.monotonic() - listening_since >= heartbeat_timeout_s:
                await recover_silent(uow, heartbeat_timeout_s)
            await warn_stuck_stages(uow)
        except Exception:
            log.exception("watchdog pass failed; retrying")
        await asyncio.sleep(interval_s)


async def recover_silent(uow: UnitOfWork, timeout_s: float) -> None:
    async with uow() as work:
        silent = await Jobs(work.conn).silent_since(timeout_s)
    for job_id in silent:
        await _recover_lost(uow, job_id, timeout_s)


async def _recover_lost(uow: UnitOfWork, job_id: uuid.UUID, timeout_s: float) -> None:
    async with uow() as work:
        jobs = Jobs(work.conn)
        job = await jobs.get_for_update(job_id)
        if job is None or job.id not in await jobs.silent_since(timeout_s):
            return  # it spoke, or moved on, since the query
        last_seen = await jobs.last_seen(job_id)
        if job.interrupt(f"heartbeat lost (silent for {timeout_s:.0f} s)", utcnow(),
                         since=last_seen):
            await _queue_next_attempt(work, jobs, job)
        await jobs.save(job)
        emit_changes(work, job)


async def warn_stuck_stages(uow: UnitOfWork) -> None:
    async with uow() as work:
        jobs = Jobs(work.conn)
        for row in await jobs.in_stages():
            expected = domain.expected_stage_s(row["status"], row["estimate"])
            elapsed = (row["now"] - row["status_since"]).total_seconds()
            key = f"{row['attempt']}:{row['status']}"
            if expected is None or elapsed <= 2 * expected or row["stage_warned"] == key:
                continue
            if await jobs.mark_stage_warned(row["id"], key):
                stage = row["status"].replace("_", " ")
                work.emit(StageStuck(
                    job_id=row["id"], attempt=row["attempt"], stage=row["status"],
                    elapsed_s=math.ceil(elapsed * 10) / 10, expected_s=expected,  # up: 2.03 s is past 2 s
                    message=f"{stage.capitalize()} has taken {elapsed / 60:.1f} min, more than "
                            f"twice the {expected / 60:.1f} min it usually takes."))
