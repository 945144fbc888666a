"""UJ2.1.2 handlers: a job that found no GPU waits, the user's choice is applied and recorded,
and the auto-retry loop tries again when a try is due. The rules are in gpu_wait.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from proto.api import ServiceError
from proto.base import utcnow
from proto.jobs import ChooseGpuOption, GpuChoiceMade, GpuUnavailable, JobCancelled, JobView
from proto.provisioning import InstanceFailedToStart
from services.jobs import domain, gpu_wait, history
from services.jobs.handlers import emit_changes, job_view, queued_event
from services.jobs.repository import JobHistory, Jobs

log = logging.getLogger(__name__)
# Before the first trained step, and while recovering: a recovery that finds no GPU to rent has
# not failed (nothing was tried), so it waits the same way rather than spend UJ4.1's
# failed-recovery count; its interruption stays open until the new attempt trains.
WAITING_STAGES = ("queued", "provisioning", "waiting_for_gpu", "recovering")


def is_no_gpu(job: domain.Job, event: Any) -> bool:
    return (isinstance(event, InstanceFailedToStart) and event.code == "no_capacity"
            and job.status in WAITING_STAGES)


async def wait_for_gpu(work: Any, jobs: Jobs, job: domain.Job,
                       event: InstanceFailedToStart) -> None:
    """Inside the caller's transaction: the job waits (or its auto-retry hour is over)."""
    waiting = gpu_wait.no_gpu(job, event.message, event.occurred_at)
    if waiting and job.gpu_wait is not None:
        job.gpu_wait.typical_return = await typical_return(work, job)
    await jobs.save(job)
    emit_changes(work, job)
    if waiting:
        work.emit(_unavailable(job))


async def typical_return(work: Any, job: domain.Job) -> dict[str, Any]:
    """UJ2.1.2 "Typically available within …": the median of past waits for this GPU type and
    pricing here, or "no history yet"."""
    rows = await JobHistory(work.conn).gpu_waits(job.gpu_type)
    times = history.return_times(msgspec.convert(r, history.GpuWaitRow) for r in rows)
    found = times.get(job.gpu_type, {}).get(job.pricing) or history.return_time([])
    return msgspec.to_builtins(found)


def _unavailable(job: domain.Job) -> GpuUnavailable:
    wait = job.gpu_wait
    assert wait is not None  # only a job that waits is said to be without a GPU
    return GpuUnavailable(
        job_id=job.id, attempt=job.attempt, gpu_type=job.gpu_type, pricing=job.pricing,
        tries=wait.tries, message=job.status_message, options=gpu_wait.options(job),
        recommended=gpu_wait.recommended(job), next_retry_at=wait.next_retry_at,
        typical_return=wait.typical_return)


async def choose_gpu_option(cmd: ChooseGpuOption, uow: UnitOfWork, every_s: float,
                            limit_s: float) -> JobView:
    async with uow() as work:
        jobs = Jobs(work.conn)
        job = await jobs.get_for_update(cmd.job_id)
        if job is None:
            raise ServiceError.not_found("job", cmd.job_id)
        message = gpu_wait.choose(job, cmd.choice, utcnow(), every_s, limit_s)
        await jobs.save(job)
        emit_changes(work, job)
        work.emit(GpuChoiceMade(job_id=job.id, choice=cmd.choice, message=message))
        if cmd.choice == "on_demand":
            work.emit(queued_event(await jobs.run_config(job.id), attempt=job.attempt))
        elif cmd.choice == "cancel":
            work.emit(JobCancelled(job_id=job.id, reason=message))
        return job_view(await jobs.view(job.id))


async def auto_retry(uow: UnitOfWork, poll_s: float) -> None:
    """Queue each due try as a new attempt; provisioning's answer schedules the next one."""
    while True:
        try:
            await retry_due(uow)
        except Exception:
            log.exception("GPU auto-retry pass failed; retrying")
        await asyncio.sleep(poll_s)


async def retry_due(uow: UnitOfWork) -> None:
    async with uow() as work:
        due = await Jobs(work.conn).gpu_retries_due()
    for job_id in due:
        async with uow() as work:
            jobs = Jobs(work.conn)
            job = await jobs.get_for_update(job_id)
            if job is None or not gpu_wait.retry_due(job, utcnow()):
                continue  # chosen otherwise, or cancelled, since the query
            await jobs.save(job)
            work.emit(queued_event(await jobs.run_config(job.id), attempt=job.attempt))
