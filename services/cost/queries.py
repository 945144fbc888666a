"""Cost RPCs for the gateway: a job's cost, the budget, the month, the CSV export, the check."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from proto.api import ServiceError
from proto.base import utcnow
from proto.cost import ExportCosts, GetJobCost, GetMonthCosts, SetBudget
from services.cost import budget_rule, money
from services.cost.handlers import CostContext, month_of, month_spend_cents
from services.cost.live import JobCost
from services.cost.repository import Costs
from services.cost.reservations import budget_state


async def job_cost(q: GetJobCost, ctx: CostContext) -> dict[str, Any]:
    now = utcnow()
    async with ctx.uow(snapshot=True) as work:  # one state for every figure
        repo = Costs(work.conn)
        job = await repo.job(q.job_id)
        if job is None:
            raise ServiceError.not_found("job cost", q.job_id)
        cost, status = await repo.job_cost(job), await repo.status(q.job_id)
        alerts, entries = await repo.alerts(q.job_id), await repo.entries(job_id=q.job_id)
        month_spent, limits = await month_spend_cents(repo, now), await repo.budget()
        counts = await repo.month_jobs(month_of(now))
    spend, estimate = cost.spend_cents(now), job["estimate_cents"]
    gpu_type, pricing, rate = _price_now(job, cost)
    final = job["final"]
    return {
        "job_id": job["job_id"], "name": job["name"], "tags": job["tags"],
        "status": status["status"], "gpu_type": gpu_type, "pricing": pricing,
        "hourly_rate_cents": rate,
        "hourly_rate": f"{money.dollars(rate)}/hr ({pricing.replace('_', '-')})",
        "estimate": _estimate(job), "spend_cents": spend,
        "percent_of_estimate": money.percent(spend, estimate) if estimate else None,
        "projected_final_cents": cost.projected_cents(now), "colour": cost.colour(now),
        "running": cost.running(),
        "billable_s": sum(a.billable_ms(now) for a in cost.attempts) / 1000,
        "productive_s": sum(a.productive_ms(now) for a in cost.attempts) / 1000,
        "alerts": alerts,
        "final": final or ({"pending": True, "message": "pending final calculation"}
                           if status["finished_at"] else None),
        "ledger": [_entry(e) for e in entries],
        "budget_impact": {  # UJ6.3.2: this job against the month
            "month": month_of(now), "month_spent_cents": month_spent,
            "share_of_month_pct": money.percent(spend, month_spent),
            "monthly_limit_cents": limits["monthly_limit_cents"],
            "remaining_cents": None if limits["monthly_limit_cents"] is None
            else max(0, limits["monthly_limit_cents"] - month_spent), **counts},
    }


def _price_now(job: dict[str, Any], cost: JobCost) -> tuple[str, str, int]:
    """What the job runs on, and pays, now: its latest attempt's price (a switch to on-demand
    shows at once), the job's before any attempt."""
    if not cost.attempts:
        return job["gpu_type"], job["pricing"], job["rate_cents_per_hour"]
    latest = cost.attempts[-1]
    return latest.gpu_type, latest.pricing, cost.rate(latest)


def _estimate(job: dict[str, Any]) -> dict[str, Any] | None:
    est = job["estimate"]
    if not est:
        return None
    return {"cost_cents_low": est["cost_cents_low"], "cost_cents_high": est["cost_cents_high"],
            "cost_cents": job["estimate_cents"], "duration_s_low": est.get("duration_s_low"),
            "duration_s_high": est.get("duration_s_high")}


def _entry(e: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry with the events it came from: every figure traces back."""
    return {"id": e["id"], "attempt": e["attempt"], "kind": e["kind"],
            "billable_ms": e["billable_ms"], "rate_cents_per_hour": e["rate_cents_per_hour"],
            "gpu_type": e["gpu_type"], "pricing": e["pricing"],
            "cents_exact": str(money.exact_cents(e["units"])), "started_at": e["started_at"],
            "ended_at": e["ended_at"], "billed_month": e["billed_month"],
            "start_event_id": e["start_event_id"], "end_event_id": e["end_event_id"]}


# --- the budget ---------------------------------------------------------------------------------


async def budget(ctx: CostContext, estimate_cents: int | None = None) -> dict[str, Any]:
    """The limits, the month's spend, and what is held for jobs accepted but not settled:
    `remaining_cents` is what a new job may still be estimated at. With `estimate_cents`, the
    `impact` of a job estimated at up to that much (UJ1.3.2), else `impact` is null."""
    now = utcnow()
    async with ctx.uow(snapshot=True) as work:  # one state for every figure
        repo = Costs(work.conn)
        limits = await repo.budget()
        state = await budget_state(repo, now, limits)
        alerts = await repo.budget_alerts(month_of(now))
    limit = limits["monthly_limit_cents"]
    return {**limits, "month": state.month, "spent_cents": state.spent_cents,
            "reserved_cents": state.reserved_cents, "reserved_jobs": state.reserved_jobs,
            "remaining_cents": state.remaining_cents,
            "percent_used": money.percent(state.spent_cents, limit) if limit else None,
            "alerts": alerts,
            "impact": None if estimate_cents is None else budget_rule.impact(state, estimate_cents)}


async def set_budget(cmd: SetBudget, ctx: CostContext) -> dict[str, Any]:
    async with ctx.uow() as work:
        await Costs(work.conn).set_budget({"monthly_limit_cents": cmd.monthly_limit_cents,
                                           "job_cap_cents": cmd.job_cap_cents,
                                           "monthly_cap_cents": cmd.monthly_cap_cents})
    return await budget(ctx)


# --- the month and the export -------------------------------------------------------------------


async def month(q: GetMonthCosts, ctx: CostContext) -> dict[str, Any]:
    now = utcnow()
    name = q.month or month_of(now)
    async with ctx.uow(snapshot=True) as work:  # one state for every figure
        repo = Costs(work.conn)
        entries, counts = await repo.entries(month=name), await repo.month_jobs(name)
        limits = await repo.budget()
        current = name == month_of(now)
        spent = await month_spend_cents(repo, now) if current else \
            money.cents(await repo.month_units(name))
        reserved = (await budget_state(repo, now, limits)).reserved_cents if current else 0
    limit = limits["monthly_limit_cents"]
    return {"month": name, "spent_cents": spent, "monthly_limit_cents": limit,
            "reserved_cents": reserved,
            "remaining_cents": None if limit is None else max(0, limit - spent - reserved),
            **counts, "forecast_cents": _forecast(spent, name, now) if current else spent,
            "jobs": _by_job(entries), "by_tag": _by_tag(entries)}


def _forecast(spent: int, name: str, now: datetime) -> int:
    """Month-end spend at this month's pace so far."""
    year, mon = map(int, name.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    elapsed = Fraction(max(1, int((now - start).total_seconds())))
    length = calendar.monthrange(year, mon)[1] * 86_400
    return money.round_cents(spent * Fraction(length) / elapsed)


def _by_job(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    jobs: dict[Any, dict[str, Any]] = {}
    for e in entries:
        job = jobs.setdefault(e["job_id"], {"job_id": e["job_id"], "name": e["name"],
                                            "tags": e["tags"], "units": 0})
        job["units"] += e["units"]
    return [{**{k: v for k, v in j.items() if k != "units"}, "cost_cents": money.cents(j["units"])}
            for j in jobs.values()]


def _by_tag(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Attribution: a job's cost is split evenly over its tags (`untagged` if none), so the
    tags add up to the month's total."""
    tags: dict[str, int] = {}
    for job in _by_job(entries):
        names = job["tags"] or ["untagged"]
        for tag, part in zip(names, money.allocate(job["cost_cents"], [1] * len(names)),
                             strict=True):
            tags[tag] = tags.get(tag, 0) + part
    return tags


CSV_COLUMNS = ["entry_id", "billed_month", "job_id", "job_name", "tags", "attempt", "gpu_type",
               "pricing", "started_at", "ended_at", "billable_hours", "rate_cents_per_hour",
               "amount_cents", "amount", "start_event_id", "end_event_id"]


async def export_csv(q: ExportCosts, ctx: CostContext) -> str:
    """One row per ledger entry; the rows' cents add up to the rounded total (last row)."""
    async with ctx.uow() as work:
        entries = await Costs(work.conn).entries(month=q.month)
    total = money.cents(sum(e["units"] for e in entries))
    amounts = money.allocate(total, [e["units"] for e in entries])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e, cents in zip(entries, amounts, strict=True):
        writer.writerow([e["id"], e["billed_month"], e["job_id"], e["name"], ";".join(e["tags"]),
                         e["attempt"], e["gpu_type"], e["pricing"], e["started_at"].isoformat(),
                         e["ended_at"].isoformat(), money.hours(e["billable_ms"]),
                         e["rate_cents_per_hour"], cents, money.dollars(cents),
                         e["start_event_id"], e["end_event_id"]])
    writer.writerow(["total", q.month or "all", "", "", "", "", "", "", "", "", "", "", total,
                     money.dollars(total), "", ""])
    return out.getvalue()

