"""Provisioning handlers: start an instance per queued job, terminate on cancel, watch exits."""

from __future__ import annotations

import asyncio
import logging

from libs.common.outbox import UnitOfWork
from libs.common.settings import Settings
from libs.common.supervision import log_failure
from proto.jobs import JobCancelled, JobQueued
from proto.provisioning import InstanceExited, InstanceFailedToStart, InstanceStarted
from services.provisioning.domain import build_spec
from services.provisioning.local_provider import LocalProvider
from services.provisioning.repository import Instances

log = logging.getLogger(__name__)


async def on_job_queued(event: JobQueued, uow: UnitOfWork, provider: LocalProvider,
                        settings: Settings) -> None:
    # Claim first, in its own commit. The (job, attempt) key is the idempotency ledger: a
    # redelivery after a crash between claim and start finds the row still 'starting' and
    # finishes the start (adopting the trainer if it was already spawned); otherwise it stops.
    async with uow() as work:
        if not await Instances(work.conn).claim_or_resume(event.job_id, event.attempt,
                                                          provider.name):
            return
    if event.attempt > 1:
        await _stop_earlier_attempts(event, uow, provider)
    await _start(event, uow, provider, settings)


async def _stop_earlier_attempts(event: JobQueued, uow: UnitOfWork, provider: LocalProvider,
                                 grace_s: float = 5.0) -> None:
    """UJ4.1.1: one instance per job at a time. A recovery first ends what is left of the
    earlier attempt — a trainer still flushing after its SIGTERM checkpoint, or a hung one
    whose heartbeat was lost — and waits until it is gone."""
    async with uow() as work:
        rows = [r for r in await Instances(work.conn).live()
                if r["job_id"] == event.job_id and r["attempt"] < event.attempt and r["pid"]]
    for row in rows:
        await asyncio.to_thread(provider.terminate, row["pid"], grace_s)


async def _start(event: JobQueued, uow: UnitOfWork, provider: LocalProvider,
                 settings: Settings) -> None:
    spec = build_spec(event, settings)
    spec_path = str(provider.instance_dir(spec) / "spec.json")
    try:
        pid = provider.find(spec_path) or await asyncio.to_thread(provider.start, spec)
    except OSError as exc:
        async with uow() as work:
            await Instances(work.conn).mark_exited(event.job_id, event.attempt, None, str(exc))
            work.emit(InstanceFailedToStart(job_id=event.job_id, attempt=event.attempt,
                                            message=f"Could not start the trainer: {exc}"))
        return
    async with uow() as work:
        await Instances(work.conn).mark_running(event.job_id, event.attempt, pid, spec_path)
        work.emit(InstanceStarted(
            job_id=event.job_id, attempt=event.attempt, provider=provider.name,
            instance_id=f"{provider.name}-{event.job_id}-{event.attempt}",
            detail=f"Trainer process {pid} started on this machine.",
        ))


async def on_job_cancelled(event: JobCancelled, uow: UnitOfWork, provider: LocalProvider) -> None:
    async with uow() as work:
        if not await work.first_time("provisioning-on-job-cancelled", event.event_id):
            return
        instances = Instances(work.conn)
        row = await instances.get(event.job_id)
        if row is None or row["status"] == "exited":
            return
        await instances.mark_terminating(event.job_id, row["attempt"], f"cancelled: {event.reason}")
    if row["pid"]:
        # UJ4.3.1: SIGTERM lets the trainer checkpoint; SIGKILL follows within the 60 s budget.
        log_failure(asyncio.get_running_loop().run_in_executor(
            None, provider.terminate, row["pid"], 30.0), f"terminating trainer {row['pid']}")


async def watch_exits(uow: UnitOfWork, provider: LocalProvider, interval_s: float = 0.5) -> None:
    """Report every instance whose process has ended (trainer done, crashed, or terminated)."""
    while True:
        async with uow() as work:
            instances = Instances(work.conn)
            for row in await instances.live():
                if row["pid"] is None:
                    continue
                provider.adopt(row["pid"], row["spec_path"])
                alive, code = provider.poll(row["pid"])
                if alive:
                    continue
                reason = row["reason"] or ("exited" if code == 0 else "process ended")
                if await instances.mark_exited(row["job_id"], row["attempt"], code, reason):
                    work.emit(InstanceExited(
                        job_id=row["job_id"], attempt=row["attempt"],
                        instance_id=row["instance_id"], exit_code=code, reason=reason,
                    ))
        await asyncio.sleep(interval_s)
