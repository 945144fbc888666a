"""Provisioning handlers for RunPod pods: create one per queued job attempt, watch it, end it.

The instance row is the ledger, as for local trainers: (job, attempt) is claimed once, and the
pod is created while that row is locked, so a redelivered JobQueued waits, then finds the pod.
RunPod reports no exit code, so the trainer's own report (Completed/Failed on the bus) tells a
finished pod from one that was taken away: a pod that stops without one was preempted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from libs.common.durations import duration_words
from libs.common.outbox import UnitOfWork
from libs.common.settings import Settings
from proto import trainer_exit
from proto.api import ServiceError
from proto.gpu import RUNPOD_GPU_IDS
from proto.jobs import JobQueued
from proto.provisioning import (
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
)
from proto.training import Completed, Failed, TrainerEvent
from services.provisioning.domain import build_spec
from services.provisioning.gpu_prices import PriceBook
from services.provisioning.providers import PodProvider
from services.provisioning.repository import Instances
from services.provisioning.runpod_provider import ApiUnavailable, NoCapacity, ProviderError

log = logging.getLogger(__name__)
CREATE_RETRY_DELAYS_S = (0.5, 1.5)  # a 5xx on create: look for the pod, then try again
EXITED_POLLS_BEFORE_PREEMPTION = 3  # the trainer's last report may trail its pod's exit


def _label(event: JobQueued) -> str:
    return f"{event.gpu_type} {'spot' if event.pricing == 'spot' else 'on-demand'}"


async def on_job_queued(event: JobQueued, uow: UnitOfWork, provider: PodProvider,
                        prices: PriceBook, settings: Settings) -> None:
    async with uow() as work:
        instances = Instances(work.conn)
        if not await instances.claim_or_resume(event.job_id, event.attempt, provider.name):
            return
        await instances.retire_earlier(event.job_id, event.attempt,
                                       f"replaced by attempt {event.attempt}")
    if event.gpu_type not in RUNPOD_GPU_IDS:
        return await _failed(uow, event, f"GPU type {event.gpu_type!r} cannot run on RunPod. "
                                         f"Choose one of: {', '.join(RUNPOD_GPU_IDS)}.")
    bid = None
    if event.pricing == "spot":
        try:
            cents = await prices.spot_cents(event.gpu_type)
        except ServiceError as exc:  # no price ever seen: we cannot bid
            return await _failed(uow, event, f"RunPod's spot price for {event.gpu_type} is "
                                             f"unknown. {exc.error.message} Retry, or choose "
                                             f"on-demand.",
                                 "api_unavailable")
        if cents is None:
            return await _failed(uow, event, _no_capacity_message(event), "no_capacity")
        bid = cents / 100 * (1 + settings.runpod_bid_headroom_pct / 100)
    await _create_pod(event, uow, provider, settings, bid)


async def _create_pod(event: JobQueued, uow: UnitOfWork, provider: PodProvider,
                      settings: Settings, bid: float | None) -> None:
    spec = build_spec(event, settings, on_pod=True)
    async with uow() as work:
        instances = Instances(work.conn)
        row = await instances.get(event.job_id, event.attempt)  # FOR UPDATE: held to the end
        if row is not None and row["status"] == "terminating" and not row["pod_id"]:
            # Cancelled before any pod existed: nothing to terminate, the instance is done.
            if await instances.mark_exited(event.job_id, event.attempt, None, row["reason"]):
                work.emit(InstanceExited(job_id=event.job_id, attempt=event.attempt,
                                         instance_id=row["instance_id"], exit_code=None,
                                         reason=row["reason"]))
            return
        if row is None or row["status"] != "starting" or row["pod_id"]:
            return
        try:
            pod_id = await _find_or_create(provider, spec, event, bid)
        except NoCapacity:
            await _fail(work, event, _no_capacity_message(event), "no_capacity")
            return
        except ApiUnavailable as exc:
            await _fail(work, event, f"{exc} No pod was started; retry the job in a few "
                                     f"minutes.", "api_unavailable")
            return
        except ProviderError as exc:
            await _fail(work, event, str(exc))
            return
        await instances.mark_pod(event.job_id, event.attempt, pod_id)
        work.emit(InstanceStarted(
            job_id=event.job_id, attempt=event.attempt, provider=provider.name,
            instance_id=row["instance_id"],
            detail=f"Provisioning GPU instance: {_label(event)} on RunPod (pod {pod_id}), "
                   f"expected in ~2-5 minutes.",
        ))


async def _find_or_create(provider: PodProvider, spec: Any, event: JobQueued,
                          bid: float | None) -> str:
    """A 5xx may hide a pod that was created: look by name before every new try."""
    name = provider.pod_name(event.job_id, event.attempt)
    for delay in (*CREATE_RETRY_DELAYS_S, None):
        try:
            found = await asyncio.to_thread(provider.find, name)
            return found or await asyncio.to_thread(
                provider.create, spec, event.gpu_type, event.pricing, event.gpu_count, bid)
        except ApiUnavailable:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _no_capacity_message(event: JobQueued) -> str:
    if event.pricing == "spot":
        return (f"No {_label(event)} instances are currently available on RunPod (high demand). "
                f"Options: retry automatically every 5 minutes, switch to on-demand for an "
                f"immediate start, or cancel and try later.")
    return (f"No {_label(event)} instances are currently available on RunPod. Retry in a few "
            f"minutes, or choose another GPU type.")


async def _failed(uow: UnitOfWork, event: JobQueued, message: str, code: str = "") -> None:
    async with uow() as work:
        await _fail(work, event, message, code)


async def _fail(work: Any, event: JobQueued, message: str, code: str = "") -> None:
    if await Instances(work.conn).mark_exited(event.job_id, event.attempt, None, message):
        work.emit(InstanceFailedToStart(job_id=event.job_id, attempt=event.attempt,
                                        message=message, code=code))


async def on_trainer_event(event: TrainerEvent, uow: UnitOfWork) -> None:
    """The trainer says it is done: its pod is no longer needed (RunPod would restart it)."""
    if not isinstance(event, Completed | Failed):
        return
    interrupted = isinstance(event, Failed) and event.failure_class == "interrupted"
    outcome = "completed" if isinstance(event, Completed) else (
        "interrupted" if interrupted else "failed")
    async with uow() as work:
        if not await work.first_time("provisioning-on-trainer-event", event.event_id):
            return
        # Interrupted (SIGTERM from RunPod's reclaim): the pod is already going; let it go.
        await Instances(work.conn).trainer_finished(
            event.job_id, event.attempt, outcome, None if interrupted else f"trainer {outcome}")


class PodWatcher:
    """Polls every live pod: boot timeout, preemption, and terminating what is to end."""

    def __init__(self, uow: UnitOfWork, provider: PodProvider, settings: Settings) -> None:
        self.uow, self.provider, self.settings = uow, provider, settings
        self._exited_polls: dict[str, int] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("pod watch pass failed; retrying")
            await asyncio.sleep(self.settings.runpod_poll_s)

    async def poll_once(self) -> None:
        async with self.uow() as work:
            rows = [r for r in await Instances(work.conn).live()
                    if r["provider"] == self.provider.name and r["pod_id"]]
        for row in rows:
            try:
                await self._check(row)
            except ProviderError as exc:  # RunPod's API hiccups: the next pass asks again
                log.warning("pod %s: %s", row["pod_id"], exc)

    async def _check(self, row: dict[str, Any]) -> None:
        state = await asyncio.to_thread(self.provider.status, row["pod_id"])
        if row["status"] == "terminating":
            if state.phase != "gone":
                await asyncio.to_thread(self.provider.terminate, row["pod_id"])
            return await self._exited(row, trainer_exit.BY_OUTCOME.get(row["trainer_outcome"]),
                                      row["reason"])
        if state.phase == "booting":
            if row["booted_at"] is not None:
                return  # RunPod restarting the container (runtime null): it booted once
            return await self._check_boot(row)
        if state.phase == "running":
            self._exited_polls.pop(row["pod_id"], None)
            if row["booted_at"] is None:  # the boot timeout no longer applies
                async with self.uow() as work:
                    await Instances(work.conn).mark_booted(row["job_id"], row["attempt"])
            return
        await self._stopped(row, state.phase, state.detail)

    async def _check_boot(self, row: dict[str, Any]) -> None:
        age_s = (dt.datetime.now(dt.UTC) - row["created_at"]).total_seconds()
        if age_s < self.settings.runpod_start_timeout_s:
            return
        await asyncio.to_thread(self.provider.terminate, row["pod_id"])
        within = duration_words(self.settings.runpod_start_timeout_s)
        message = (f"The RunPod pod for this job did not boot within {within} and was "
                   f"terminated. Retry, or switch to on-demand.")
        async with self.uow() as work:
            if await Instances(work.conn).mark_exited(row["job_id"], row["attempt"], None, message):
                work.emit(InstanceFailedToStart(job_id=row["job_id"], attempt=row["attempt"],
                                                message=message, code="start_timeout"))

    async def _stopped(self, row: dict[str, Any], phase: str, detail: str) -> None:
        outcome = row["trainer_outcome"]
        if outcome in trainer_exit.BY_OUTCOME:
            await asyncio.to_thread(self.provider.terminate, row["pod_id"])
            return await self._exited(row, trainer_exit.BY_OUTCOME[outcome], f"trainer {outcome}")
        seen = self._exited_polls[row["pod_id"]] = self._exited_polls.get(row["pod_id"], 0) + 1
        if outcome is None and seen < EXITED_POLLS_BEFORE_PREEMPTION:
            return  # give the trainer's final report time to arrive
        self._exited_polls.pop(row["pod_id"], None)
        note = f"RunPod stopped the pod before training finished ({detail or phase})."
        if phase != "gone":
            await asyncio.to_thread(self.provider.terminate, row["pod_id"])  # stop the billing
        interrupted = InstanceInterrupted(job_id=row["job_id"], attempt=row["attempt"],
                                          instance_id=row["instance_id"], signal="preempted",
                                          detail=note)
        await self._exited(row, None, f"preempted: {note}", interrupted)

    async def _exited(self, row: dict[str, Any], code: int | None, reason: str,
                      *before: Any) -> None:
        async with self.uow() as work:
            if await Instances(work.conn).mark_exited(row["job_id"], row["attempt"], code, reason):
                for event in before:
                    work.emit(event)
                work.emit(InstanceExited(job_id=row["job_id"], attempt=row["attempt"],
                                         instance_id=row["instance_id"], exit_code=code,
                                         reason=reason))
