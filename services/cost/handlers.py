"""Cost handlers for events: learn each job's billable time, then check alerts, caps, final cost.

Idempotency rests on natural keys rather than an inbox: an attempt's timestamps keep their first
value, the ledger holds one entry per (job, attempt), and an alert, budget alert or cap is a row
keyed by what it is about, inserted in the same transaction as the event it emits. Redelivery,
a replay of the whole stream or two evaluations at once therefore raise nothing twice.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.common.model_size import ModelSize, model_size
from libs.common.outbox import UnitOfWork
from proto.base import utcnow
from proto.cost import BudgetAlertRaised, CostAlertRaised, CostCapReached, EstimateRequest
from proto.gpu import GPU_TYPES
from proto.jobs import TERMINAL_STATUSES, JobQueued, JobStatusChanged
from proto.provisioning import (
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
    OrphanPodTerminated,
)
from proto.training import Completed, ModelRef, Progress, StageChanged
from services.cost import domain, live, money, timemodel
from services.cost.repository import Costs
from services.cost.timemodel import Correction

NAMESPACE = uuid.UUID("6f1c2b0e-5d8a-4c39-9a57-2f0b8e4d1c3a")


@dataclass
class CostContext:
    uow: UnitOfWork
    job_thresholds: list[int] = field(default_factory=lambda: [80, 100, 120])
    budget_thresholds: list[int] = field(default_factory=lambda: [80, 95])
    corrections: dict[tuple[str, int], Correction] = field(default_factory=dict)
    time_model_fitted_at: datetime | None = None  # the newest fit `corrections` holds
    # When each job's last progress report was applied (event time): see wants_progress.
    progress_applied: dict[uuid.UUID, datetime] = field(default_factory=dict)


PROGRESS_EVERY_S = 10.0


def wants_progress(event: Progress, ctx: CostContext) -> bool:
    """Productive time and the projection need a recent step, not every step: applying each
    one cost ~3 ms of CPU per trainer event, a sixth of the whole pipeline's, and at 100 jobs
    it starved the live path. The last step of a run is always applied; a skipped report loses
    at most PROGRESS_EVERY_S of productive time before an interruption."""
    last = ctx.progress_applied.get(event.job_id)
    if (event.step < event.total_steps and last is not None
            and (event.occurred_at - last).total_seconds() < PROGRESS_EVERY_S):
        return False
    ctx.progress_applied[event.job_id] = event.occurred_at
    return True


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def once_id(*parts: object) -> uuid.UUID:
    """A stable event id per alert/cap, so even a re-emitted one is the same message."""
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def model_size_of(req: EstimateRequest) -> ModelSize | None:
    """What the estimated model really is: counted from its config (issue 15)."""
    if not req.model_name:
        return None
    return model_size(ModelRef(name=req.model_name, parameter_count=req.model_parameter_count))


# --- events --------------------------------------------------------------------------------------


async def on_job_queued(event: JobQueued, ctx: CostContext) -> None:
    """The job as cost accounts it, all from the event (a later attempt's or a redelivered
    event finds it known and changes nothing), and the price of the attempt this one starts."""
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        await repo.add_job(job_row(event))
        job = await repo.job(event.job_id)
        rerun = event.validation is not None and event.validation.adapter_key is not None
        await repo.set_attempt(event.job_id, event.attempt, **attempt_price(event, job),
                               validation_only=rerun)
        if rerun and job["final"] is not None:
            # Issue 12: a validation re-run bills the finished job again; its final waits for it.
            await repo.update_job(event.job_id, final=None, finalized_at=None)
        if event.reservation_id is not None:  # the estimate held for it now follows the job
            await repo.bind_reservation(event.reservation_id, event.job_id)
        await evaluate(work, event.job_id, ctx)


def job_row(event: JobQueued) -> dict[str, Any]:
    """The rate is the one the user was shown with the estimate; without one, the list price."""
    estimate = event.estimate or None
    rate = domain.billed_rate_cents(event.gpu_type, event.pricing, estimate,
                                    (event.gpu_type, event.pricing), event.gpu_count)
    centre = None
    if estimate:
        centre = (estimate["cost_cents_low"] + estimate["cost_cents_high"] + 1) // 2
    return {"job_id": event.job_id, "name": event.name, "tags": event.tags,
            "gpu_type": event.gpu_type, "pricing": event.pricing, "rate_cents_per_hour": rate,
            "parameter_count": event.model.parameter_count, "estimate": estimate,
            "estimate_cents": centre, "queued_event_id": event.event_id,
            "parent_job_id": event.parent_job_id,
            "created_at": event.created_at or event.occurred_at}


def attempt_price(event: JobQueued, job: dict[str, Any]) -> dict[str, Any]:
    """Each attempt is billed at the price of the JobQueued that started it; an estimate that
    does not say what it priced priced what the job was first queued on."""
    rate = domain.billed_rate_cents(event.gpu_type, event.pricing, event.estimate,
                                    (job["gpu_type"], job["pricing"]), event.gpu_count)
    return {"gpu_type": event.gpu_type, "pricing": event.pricing, "rate_cents_per_hour": rate,
            "queued_event_id": event.event_id}


async def on_status_changed(event: JobStatusChanged, ctx: CostContext) -> None:
    async with ctx.uow() as work:
        await Costs(work.conn).set_status(event.job_id, event.status, event.occurred_at,
                                          event.status in TERMINAL_STATUSES, event.attempt)
        await evaluate(work, event.job_id, ctx)


async def on_instance_event(event: Any, ctx: CostContext) -> None:
    fields: dict[str, Any]
    match event:
        case InstanceStarted():
            fields = {"instance_id": event.instance_id, "started_at": event.occurred_at,
                      "started_event_id": event.event_id}
        case InstanceExited():
            fields = {"exited_at": event.occurred_at, "exited_event_id": event.event_id}
        case InstanceInterrupted():
            fields = {"interrupted": True, "interrupted_event_id": event.event_id}
        case InstanceFailedToStart():
            fields = {"failed_to_start_event_id": event.event_id}
        case OrphanPodTerminated():
            # A pod that ran for this attempt unseen (provisioning's reconciler): its time is
            # the attempt's, billed like any other, even after the job's cost was settled.
            fields = {"instance_id": event.instance_id, "started_at": event.started_at,
                      "started_event_id": event.event_id, "exited_at": event.occurred_at,
                      "exited_event_id": event.event_id}
        case _:
            return
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        await repo.set_attempt(event.job_id, event.attempt, **fields)
        if isinstance(event, OrphanPodTerminated):
            await reopen(repo, event.job_id)
        await evaluate(work, event.job_id, ctx)


async def reopen(repo: Costs, job_id: uuid.UUID) -> None:
    """A cost line that lands after the job's final cost was settled: settle it again."""
    job = await repo.job(job_id, lock=True)
    if job is not None and job["final"] is not None:
        await repo.update_job(job_id, final=None, finalized_at=None)


async def on_trainer_event(event: Any, ctx: CostContext) -> None:
    """Productive time: the training stage's start and the step reports."""
    if isinstance(event, Progress) and not wants_progress(event, ctx):
        return
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        match event:
            case StageChanged(stage="training"):
                await repo.set_attempt(event.job_id, event.attempt,
                                       training_started_at=event.occurred_at)
            case StageChanged(stage="validating"):
                await validation_started(repo, event)
            case Progress():
                await repo.progressed(event.job_id, event.attempt, event.occurred_at)
                await repo.set_progress(event.job_id, event.step, event.total_steps)
            case Completed():
                await repo.set_completed(event.job_id, event.event_id, event.train_runtime_s,
                                         event.tokens_trained)
            case _:
                return
        await evaluate(work, event.job_id, ctx)


async def validation_started(repo: Costs, event: StageChanged) -> None:
    """Issue 12: validation is a cost line of its own, from the attempt's first "validating"
    stage. Trainer events travel apart from the instance's and the job's: one that lands after
    the final cost was settled reopens it, to be split again."""
    job = await repo.job(event.job_id, lock=True)
    known = {a["attempt"]: a for a in await repo.attempts(job)} if job else {}
    if (known.get(event.attempt) or {}).get("validation_started_at") is not None:
        return  # a later progress report of the same stage
    await repo.set_attempt(event.job_id, event.attempt, validation_started_at=event.occurred_at)
    if job is not None and job["final"] is not None:
        await repo.update_job(event.job_id, final=None, finalized_at=None)


async def tick(ctx: CostContext) -> None:
    """Between events, running jobs still cost money: re-check them (UJ3.2.2 within 60 s)."""
    async with ctx.uow() as work:
        running = await Costs(work.conn).running_job_ids()
        ctx.corrections.update(await Costs(work.conn).corrections())  # other replicas' refits
    for job_id in running:
        async with ctx.uow() as work:
            await evaluate(work, job_id, ctx)


# --- the checks every change runs ---------------------------------------------------------------


async def evaluate(work: Any, job_id: uuid.UUID, ctx: CostContext, now: datetime | None = None
                   ) -> None:
    """Settle closed attempts into the ledger, raise due alerts and caps, finalise when done."""
    now = now or utcnow()
    repo = Costs(work.conn)
    job = await repo.job(job_id, lock=True)  # serialises concurrent checks of one job
    if job is None:
        return  # known once JobQueued is handled; that handler evaluates again
    attempts = await repo.attempts(job)
    await settle(repo, job, attempts)
    cost = await repo.job_cost(job)
    spend = cost.spend_cents(now)
    for threshold in live.crossed(spend, job["estimate_cents"], ctx.job_thresholds):
        alert = CostAlertRaised(
            event_id=once_id(job_id, "alert", threshold), job_id=job_id, job_name=job["name"],
            threshold_pct=threshold, level=live.alert_level(threshold), spend_cents=spend,
            estimate_cents=job["estimate_cents"],
            message=live.alert_message(threshold, spend, job["estimate_cents"], job["name"]))
        if await repo.claim("job_alerts", {"job_id": job_id, "threshold_pct": threshold},
                            alert.event_id, spend):
            work.emit(alert)
    await check_budget_and_caps(work, repo, job, cost, now, ctx)
    status = await repo.status(job_id)
    if status["finished_at"] and job["final"] is None and all_over(attempts, status["attempt"]):
        await finalise(repo, job, cost, status, now, ctx)


def all_over(attempts: list[dict[str, Any]], count: int) -> bool:
    """UJ6.3.1 "after GPU terminated": each of the job's `count` attempts has had its instance
    started and gone (and is priced), or failed to start. The final status, each start and each
    exit travel on subjects of their own, so any of them may come first: a final status seen
    before an attempt's events must not settle the job at what is known so far."""
    over = {a["attempt"] for a in attempts if settleable(a) or a["failed_to_start_event_id"]}
    # A validation re-run (issue 12) queues an attempt after the job's final status.
    count = max([count, *(a["attempt"] for a in attempts)])
    running = any(a["started_at"] and not a["exited_at"] for a in attempts)
    return over >= set(range(1, count + 1)) and not running


def settleable(a: dict[str, Any]) -> bool:
    """An attempt's instance has started and exited, and its own JobQueued has said its price.
    The ledger is written once: an exit handled before its attempt's JobQueued (consumers drain
    their backlogs independently after an outage) waits rather than bill the wrong rate."""
    return bool(a["started_at"] and a["exited_at"] and a["priced"])


async def settle(repo: Costs, job: dict[str, Any], attempts: list[dict[str, Any]]) -> None:
    """Each attempt whose instance has started and exited becomes one ledger entry."""
    for a in attempts:
        if not settleable(a):
            continue
        ms = live.Attempt(a["attempt"], a["started_at"], a["exited_at"]).billable_ms(a["exited_at"])
        await repo.add_entry({
            "job_id": job["job_id"], "attempt": a["attempt"], "kind": "instance_time",
            "billable_ms": ms, "rate_cents_per_hour": a["rate_cents_per_hour"],
            "units": money.units(a["rate_cents_per_hour"], ms), "gpu_type": a["gpu_type"],
            "pricing": a["pricing"], "started_at": a["started_at"], "ended_at": a["exited_at"],
            "billed_month": month_of(a["exited_at"]), "start_event_id": a["started_event_id"],
            "end_event_id": a["exited_event_id"]})


async def month_spend_cents(repo: Costs, now: datetime) -> int:
    return money.cents(await repo.month_units(month_of(now)) + await repo.open_units(now))


async def lineage_units(repo: Costs, job_id: uuid.UUID, now: datetime) -> int:
    """A per-job cap bounds the work, not one record of it: a retry or a resume counts what
    the jobs it continues have cost, so it cannot start the cap afresh."""
    chain = await repo.lineage(job_id)
    return await repo.ledger_units(chain) + await repo.open_units(now, chain)


async def check_budget_and_caps(work: Any, repo: Costs, job: dict[str, Any], cost: live.JobCost,
                                now: datetime, ctx: CostContext) -> None:
    budget = await repo.budget()
    month = month_of(now)
    spent = await month_spend_cents(repo, now)
    limit = budget["monthly_limit_cents"]
    for threshold in live.crossed(spent, limit, ctx.budget_thresholds):
        alert = BudgetAlertRaised(
            event_id=once_id(month, "budget", threshold), month=month, threshold_pct=threshold,
            spent_cents=spent, limit_cents=limit,
            message=f"Monthly budget {threshold}% used: {money.dollars(spent)} of "
                    f"{money.dollars(limit)} spent in {month}.")
        if await repo.claim("budget_alerts", {"month": month, "threshold_pct": threshold},
                            alert.event_id, spent):
            work.emit(alert)
    if not cost.running():
        return
    job_spend = cost.spend_cents(now)
    if budget["job_cap_cents"] is not None and job["parent_job_id"] is not None:
        job_spend = money.cents(cost.units(now) + await lineage_units(repo, job["parent_job_id"], now))
    caps = [("job", budget["job_cap_cents"], job_spend), ("month", budget["monthly_cap_cents"], spent)]
    for scope, cap, amount in caps:
        if cap is None or amount < cap:
            continue
        event = CostCapReached(
            event_id=once_id(job["job_id"], "cap", scope), job_id=job["job_id"], scope=scope,
            cap_cents=cap, spend_cents=amount,
            message=f"The {'per-job' if scope == 'job' else 'monthly'} cost cap of "
                    f"{money.dollars(cap)} is reached ({money.dollars(amount)}): the job stops "
                    "with a checkpoint and can be resumed later.")
        if await repo.claim("caps_reached", {"job_id": job["job_id"], "scope": scope},
                            event.event_id, amount):
            work.emit(event)


async def finalise(repo: Costs, job: dict[str, Any], cost: live.JobCost, status: dict[str, Any],
                   now: datetime, ctx: CostContext) -> None:
    """UJ6.3.1 once the last instance is gone; a clean completed run also refits the model."""
    final = live.final_breakdown(cost, now, job["estimate_cents"])
    await repo.update_job(job["job_id"], final=final, finalized_at=now)
    await repo.settle_reservation(job["job_id"])  # its cost is spend now, not an estimate
    tokens = (job["estimate"] or {}).get("tokens_to_train")
    gpu = GPU_TYPES.get(job["gpu_type"])
    clean = len(cost.attempts) == 1 and not cost.attempts[0].interrupted
    training = await repo.training(job["job_id"])
    if status["status"] != "completed" or not (tokens and gpu and clean):
        return
    size = timemodel.size_class(job["parameter_count"])
    seconds = cost.attempts[0].billable_ms(now) / 1000
    observation = timemodel.Observation(
        gpu.name, size, domain.seed_seconds(gpu, tokens, job["parameter_count"]), seconds)
    await repo.observe(job["job_id"], training["completed_event_id"] or job["queued_event_id"],
                       observation)
    observations = await repo.observations(gpu.name, size)
    correction = timemodel.fit(observations, gpu.overhead_s)
    if correction is not None:
        jobs, within = timemodel.backtest(observations, gpu.overhead_s)
        correction = dataclasses.replace(correction, backtest_jobs=jobs, backtest_within=within)
        await repo.save_correction(gpu.name, size, correction)
        ctx.corrections[(gpu.name, size)] = correction
