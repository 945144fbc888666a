"""Fault injection on the local provider: take a trainer away at a chosen or random step,
the way a spot market reclaims an instance (JobQueued.fault_injection; demos, tests, benchmarks).

The plan is written beside the instance when its attempt is queued, so a restarted service
still knows it; the injector watches the trainer's progress on the bus and fires once per
attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from pathlib import Path
from typing import Any

import msgspec
from faststream.nats import NatsMessage

from libs.common.outbox import UnitOfWork
from libs.common.supervision import log_failure
from proto.base import decode, encode
from proto.jobs import FaultInjection, JobQueued
from proto.provisioning import InstanceInterrupted
from proto.training import Progress, TrainingEventReported
from services.provisioning.local_provider import LocalProvider
from services.provisioning.repository import Instances

log = logging.getLogger(__name__)
PLAN, STATE = "fault_injection.json", "fault_injection.state.json"


class Shot(msgspec.Struct, kw_only=True):
    """This attempt's interruption: at which step, how, and whether it has happened."""

    step: int | None
    signal: str
    grace_s: float
    fired: bool = False


def choose(plan: FaultInjection, job_id: uuid.UUID, attempt: int, first_step: int,
           total_steps: int) -> Shot:
    """Attempt k: `at_steps[k-1]`, else for k <= random_interruptions a random step from the
    first one it reports up to the one before the last (so the run still has work to resume)."""
    how = plan.signals[(attempt - 1) % len(plan.signals)] if plan.signals else "sigterm"
    step: int | None = None
    if attempt <= len(plan.at_steps):
        step = plan.at_steps[attempt - 1]
    elif attempt <= plan.random_interruptions and first_step < total_steps:
        rng = random.Random(f"{plan.seed}:{job_id}:{attempt}")
        step = rng.randint(first_step, total_steps - 1)
    return Shot(step=step, signal=how, grace_s=plan.grace_s)


class FaultInjector:
    def __init__(self, provider: LocalProvider, uow: UnitOfWork) -> None:
        self.provider, self.uow = provider, uow
        self._shots: dict[tuple[uuid.UUID, int], Shot | None] = {}

    def _folder(self, job_id: uuid.UUID, attempt: int) -> Path:
        return self.provider.root / f"{job_id}-{attempt}"

    def plan(self, event: JobQueued) -> None:
        """Keep the attempt's plan beside its instance (no-op for a job without one)."""
        if event.fault_injection is None:
            return
        folder = self._folder(event.job_id, event.attempt)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / PLAN).exists():
            (folder / PLAN).write_bytes(encode(event.fault_injection))

    def _shot(self, event: Progress) -> Shot | None:
        key = (event.job_id, event.attempt)
        if key not in self._shots:
            folder = self._folder(*key)
            if (folder / STATE).exists():
                self._shots[key] = decode((folder / STATE).read_bytes(), Shot)
            elif (folder / PLAN).exists():
                plan = decode((folder / PLAN).read_bytes(), FaultInjection)
                self._shots[key] = choose(plan, event.job_id, event.attempt, event.step,
                                          event.total_steps)
                self._save(key)
            else:
                self._shots[key] = None
        return self._shots[key]

    def _save(self, key: tuple[uuid.UUID, int]) -> None:
        shot = self._shots[key]
        if shot is not None:
            (self._folder(*key) / STATE).write_bytes(encode(shot))

    async def on_progress(self, event: Progress) -> None:
        shot = self._shot(event)
        if shot is None or shot.fired or shot.step is None or event.step < shot.step:
            return
        async with self.uow() as work:
            row = await Instances(work.conn).get(event.job_id, event.attempt)
            if row is None or row["status"] != "running" or not row["pid"]:
                return
            shot.fired = True
            self._save((event.job_id, event.attempt))
            work.emit(InstanceInterrupted(
                job_id=event.job_id, attempt=event.attempt, instance_id=row["instance_id"],
                step=event.step, signal=shot.signal, injected=True,
                detail=f"Fault injection: {shot.signal.upper()} at step {event.step} "
                       f"(a simulated spot reclaim)."))
        log.warning("fault injection: %s to job %s attempt %d at step %d", shot.signal,
                    event.job_id, event.attempt, event.step)
        # Not awaited: a SIGTERM waits out its grace period in a worker thread.
        log_failure(asyncio.get_running_loop().run_in_executor(
            None, self.provider.interrupt, row["pid"], shot.signal, shot.grace_s),
            f"fault injection {shot.signal} to trainer {row['pid']}")

    def subscribe(self, broker: Any) -> None:
        """Watch progress as the gateway's live feed does: a plain subscription, nothing kept."""
        @broker.subscriber(TrainingEventReported.subject, no_reply=True)
        async def inject_faults(msg: NatsMessage) -> None:
            event = decode(msg.body, TrainingEventReported).event
            if isinstance(event, Progress):
                await self.on_progress(event)
