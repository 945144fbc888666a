"""Budget reservations (issue 15): the budget check and a job's acceptance as one step.

The gateway reserves a job's high estimate (rpc.cost.reserve_budget) before it asks the jobs
service to create the job with the reservation's id. The reservation is decided on the locked
budget row, so twenty creations at once are decided one after another, each seeing the ones
before it. The job's JobQueued carries the id: cost binds the reservation to the job
(handlers.on_job_queued) and releases it when the job's final cost is settled (finalise). A
creation that fails after reserving releases it at once (rpc.cost.release_reservation), and a
reservation no JobQueued binds within `budget_reservation_ttl_s` is released by the sweeper.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import msgspec

from proto.base import utcnow
from proto.cost import ReleaseReservation, Reservation, ReserveBudget
from services.cost import budget_rule, money
from services.cost.budget_rule import BudgetState, Hold
from services.cost.handlers import CostContext, lineage_units, month_of, month_spend_cents
from services.cost.repository import Costs

log = logging.getLogger(__name__)


async def budget_state(repo: Costs, now: datetime, limits: dict[str, Any] | None = None
                       ) -> BudgetState:
    """The month's limit, spend and the estimates held for jobs not yet settled."""
    limits = limits or await repo.budget()
    holds = []
    for r in await repo.held_reservations():
        billed = 0
        if r["job_id"] is not None and not r["finished"]:
            billed = money.cents(r["ledger_units"] + await repo.open_units(now, [r["job_id"]]))
        holds.append(Hold(r["estimate_cents"], billed, r["finished"]))
    reserved, jobs = budget_rule.held(holds)
    return BudgetState(month=month_of(now), monthly_limit_cents=limits["monthly_limit_cents"],
                       job_cap_cents=limits["job_cap_cents"],
                       spent_cents=await month_spend_cents(repo, now),
                       reserved_cents=reserved, reserved_jobs=jobs)


async def parent_spend(repo: Costs, parent_job_id: Any, now: datetime) -> tuple[str, int]:
    """The name of the job a retry or resume continues, and what it and its parents cost."""
    if parent_job_id is None:
        return "", 0
    parent = await repo.job(parent_job_id)
    return (parent or {}).get("name", ""), money.cents(await lineage_units(repo, parent_job_id, now))


def view(row: dict[str, Any], remaining: int | None = None) -> Reservation:
    return msgspec.convert({**row, "remaining_cents": remaining}, Reservation, from_attributes=True)


async def reserve(cmd: ReserveBudget, ctx: CostContext) -> Reservation:
    """Accept and hold the estimate, or refuse with `budget_exceeded` / `job_cap_exceeded`."""
    now = utcnow()
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        limits = await repo.lock_budget()
        existing = await repo.reservation(cmd.reservation_id)
        if existing is not None:  # the same request again (a retried RPC): its first answer
            return view(existing)
        state = await budget_state(repo, now, limits)
        parent_name, parent_spent = await parent_spend(repo, cmd.parent_job_id, now)
        refused = budget_rule.refusal(state, cmd.estimate_cents, cmd.job_name, parent_name,
                                      parent_spent, linked=cmd.parent_job_id is not None)
        if refused is not None:
            raise refused
        row = await repo.add_reservation({
            "reservation_id": cmd.reservation_id, "job_name": cmd.job_name,
            "estimate_cents": cmd.estimate_cents, "parent_job_id": cmd.parent_job_id})
    left = None if state.remaining_cents is None else state.remaining_cents - cmd.estimate_cents
    return view(row, left)


async def release(cmd: ReleaseReservation, ctx: CostContext) -> Reservation | None:
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        await repo.release_reservation(cmd.reservation_id, "creation_failed")
        row = await repo.reservation(cmd.reservation_id)
    return None if row is None else view(row)


async def sweep(ctx: CostContext, ttl_s: float) -> int:
    """Release the reservations no job has bound within `ttl_s`; how many were released."""
    now, released = utcnow(), 0
    async with ctx.uow() as work:
        repo = Costs(work.conn)
        for r in await repo.held_reservations():
            if r["job_id"] is None and budget_rule.unbound_expired(r["created_at"], now, ttl_s):
                await repo.release_reservation(r["reservation_id"], "not_bound")
                released += 1
    return released


async def sweeper(ctx: CostContext, ttl_s: float) -> None:
    """A supervised forever-loop (runtime.background): an error is logged and retried."""
    while True:
        await asyncio.sleep(min(30.0, max(ttl_s / 4, 0.5)))
        try:
            if count := await sweep(ctx, ttl_s):
                log.info("released %d budget reservation(s) no job was created for", count)
        except Exception:
            log.exception("budget reservation sweep failed; the next one retries")
