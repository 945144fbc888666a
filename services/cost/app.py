"""Cost service wiring: estimates, live cost and alerts, budgets and caps, final cost, refit."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from faststream.nats import NatsMessage

from libs.common.batches import one_by_one
from libs.common.bus import durable, durable_each, rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from proto.base import decode
from proto.cost import (
    EstimateJob,
    ExportCosts,
    GetBudget,
    GetJobCost,
    GetMonthCosts,
    ReleaseReservation,
    ReserveBudget,
    SetBudget,
)
from proto.jobs import JobQueued, JobStatusChanged
from proto.provisioning import (
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
    OrphanPodTerminated,
)
from proto.training import TrainingEventReported
from services.cost import domain, estimates, handlers, queries, reservations
from services.cost.repository import Costs

log = logging.getLogger(__name__)


def thresholds(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("cost", settings, Path(__file__).with_name("migrations"))
    broker = runtime.broker
    ctx = handlers.CostContext(
        uow=runtime.uow,
        job_thresholds=thresholds(settings.cost_alert_thresholds_pct),
        budget_thresholds=thresholds(settings.budget_alert_thresholds_pct))
    runtime.cost_context = ctx  # the benchmark and tests look at its in-memory time model

    async def load_time_model() -> None:
        async with runtime.uow() as work:
            costs = Costs(work.conn)
            ctx.time_model_fitted_at = await costs.time_model_fitted_at()
            ctx.corrections.update(await costs.corrections())

    runtime.on_start(load_time_model)

    @runtime.background
    async def follow_time_model() -> None:
        """Estimates come from memory, and one replica applies each completion's refit: every
        replica looks for a newer fit each `time_model_poll_s` and loads it."""
        while True:
            await asyncio.sleep(settings.time_model_poll_s)
            async with runtime.uow() as work:
                newest = await Costs(work.conn).time_model_fitted_at()
            if newest != ctx.time_model_fitted_at:
                await load_time_model()

    files, prices = estimates.TrainingFiles(broker), estimates.LivePrices(broker)

    @rpc(broker, EstimateJob)
    async def estimate(q: EstimateJob):
        # in memory once the file is known: no I/O on the hot path but a local model's config
        req = await estimates.request_for(q, files, prices)
        return domain.estimate(req, ctx.corrections, handlers.model_size_of(req))

    @durable(broker, JobQueued.subject, "cost-on-job-queued")
    async def on_job_queued(msg: NatsMessage) -> None:
        await handlers.on_job_queued(decode(msg.body, JobQueued), ctx)

    @durable(broker, JobStatusChanged.subject, "cost-on-job-status-changed")
    async def on_job_status_changed(msg: NatsMessage) -> None:
        await handlers.on_status_changed(decode(msg.body, JobStatusChanged), ctx)

    # Most are Progress inside the 10 s throttle: no transaction at all.
    runtime.batches(TrainingEventReported.subject, "cost-on-training-event",
                    TrainingEventReported.unwrap,
                    one_by_one(lambda event: handlers.on_trainer_event(event, ctx)))

    durable_each(broker, (InstanceStarted, InstanceExited, InstanceInterrupted,
                          InstanceFailedToStart, OrphanPodTerminated),
                 lambda t: f"cost-on-instance-{t.subject.split('.')[2].replace('_', '-')}",
                 lambda event: handlers.on_instance_event(event, ctx))

    @rpc(broker, GetJobCost)
    async def job_cost(q: GetJobCost):
        return await queries.job_cost(q, ctx)

    @rpc(broker, GetBudget)
    async def get_budget(q: GetBudget):
        return await queries.budget(ctx, q.estimate_cents)

    @rpc(broker, SetBudget)
    async def set_budget(cmd: SetBudget):
        return await queries.set_budget(cmd, ctx)


    @rpc(broker, ReserveBudget)
    async def reserve_budget(cmd: ReserveBudget):
        return await reservations.reserve(cmd, ctx)

    @rpc(broker, ReleaseReservation)
    async def release_reservation(cmd: ReleaseReservation):
        return await reservations.release(cmd, ctx)

    @runtime.background(once=True)
    async def reservation_sweeper() -> None:
        await reservations.sweeper(ctx, settings.budget_reservation_ttl_s)

    @rpc(broker, GetMonthCosts)
    async def month_costs(q: GetMonthCosts):
        return await queries.month(q, ctx)

    @rpc(broker, ExportCosts)
    async def export_csv(q: ExportCosts):
        return await queries.export_csv(q, ctx)

    @runtime.background(once=True)
    async def ticker() -> None:
        while True:
            await asyncio.sleep(settings.cost_tick_s)
            try:
                await handlers.tick(ctx)
            except Exception:
                log.exception("cost check of running jobs failed; next tick retries")

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
