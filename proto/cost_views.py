"""What the cost service answers the gateway (GetJobCost, GetBudget/SetBudget, GetMonthCosts):
the HTTP routes' response bodies. Money is integer cents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from proto.cost import BudgetImpact


class JobCostEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """The estimate the job was accepted with (its high end is `cost_cents`)."""

    cost_cents_low: int
    cost_cents_high: int
    cost_cents: int
    duration_s_low: int | float | None
    duration_s_high: int | float | None


class JobCostAlert(msgspec.Struct, frozen=True, kw_only=True):
    threshold_pct: int
    spend_cents: int
    raised_at: datetime
    event_id: uuid.UUID


class LedgerEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One billed stretch of an attempt, with the events it came from: every figure traces back."""

    id: int
    attempt: int
    kind: str
    billable_ms: int
    rate_cents_per_hour: int
    gpu_type: str
    pricing: str
    cents_exact: str  # a fraction of a cent, as text so JSON never rounds it
    started_at: datetime
    ended_at: datetime
    billed_month: str
    start_event_id: uuid.UUID
    end_event_id: uuid.UUID


class JobMonthImpact(msgspec.Struct, frozen=True, kw_only=True):
    """UJ6.3.2: one job against the month it runs in."""

    month: str
    month_spent_cents: int
    share_of_month_pct: int
    monthly_limit_cents: int | None
    remaining_cents: int | None  # None: no monthly limit
    jobs_this_month: int
    jobs_completed_this_month: int


class JobCostView(msgspec.Struct, frozen=True, kw_only=True):
    """GetJobCost's answer: live spend, rate, projection and colour (UJ3.2.1); the final
    breakdown once the job is over (UJ6.3.1)."""

    job_id: uuid.UUID
    name: str
    tags: list[str]
    status: str
    gpu_type: str
    pricing: str
    hourly_rate_cents: int
    hourly_rate: str  # "$7.99/hr (on-demand)"
    estimate: JobCostEstimate | None
    spend_cents: int
    percent_of_estimate: int | None
    projected_final_cents: int
    colour: str
    running: bool
    billable_s: float
    productive_s: float
    alerts: list[JobCostAlert]
    # services/cost/live.final_breakdown (compute, overhead, storage, total, variance, by_rate,
    # lines), or {"pending": true, "message": ...} while the job is over but not yet settled.
    final: dict[str, Any] | None
    ledger: list[LedgerEntry]
    budget_impact: JobMonthImpact


class BudgetAlert(msgspec.Struct, frozen=True, kw_only=True):
    threshold_pct: int
    spent_cents: int
    raised_at: datetime


class BudgetView(msgspec.Struct, frozen=True, kw_only=True):
    """GetBudget's and SetBudget's answer: the limits, the month's spend, what is held for jobs
    accepted but not settled; `remaining_cents` is what a new job may still be estimated at."""

    monthly_limit_cents: int | None
    job_cap_cents: int | None
    monthly_cap_cents: int | None
    updated_at: datetime | None  # None: never set
    month: str
    spent_cents: int
    reserved_cents: int
    reserved_jobs: int
    remaining_cents: int | None  # None: no monthly limit
    percent_used: int | None
    alerts: list[BudgetAlert]
    impact: BudgetImpact | None  # asked with `estimate_cents` only


class MonthJobCost(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    name: str
    tags: list[str]
    cost_cents: int


class MonthCosts(msgspec.Struct, frozen=True, kw_only=True):
    """GetMonthCosts' answer (UJ6.3.2); `by_tag` splits each job's cost evenly over its tags."""

    month: str
    spent_cents: int
    monthly_limit_cents: int | None
    reserved_cents: int
    remaining_cents: int | None
    jobs_this_month: int
    jobs_completed_this_month: int
    forecast_cents: int
    jobs: list[MonthJobCost]
    by_tag: dict[str, int]
