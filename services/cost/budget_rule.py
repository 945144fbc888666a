"""The budget rule (UJ6.3.2, issue 15): one place decides whether a job's estimate fits. No I/O.

What is left of a month is its limit less what is spent (settled ledger entries and running
instances) less what is *held*: the estimates of jobs accepted but not yet settled. A held
estimate shrinks as its job is billed (its high estimate less what it has cost so far, never
below zero) and is gone once the job has finished: from then on what it costs is spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from proto.api import ServiceError
from proto.cost import BudgetImpact
from services.cost import money

CHEAPER = "Choose a cheaper configuration (spot pricing, fewer epochs, a smaller preset or GPU)"


@dataclass(frozen=True)
class Hold:
    """One open reservation as the rule sees it."""

    estimate_cents: int
    billed_cents: int = 0  # what its job has cost so far (0 before the job is known)
    finished: bool = False  # its job has reached a final status

    def cents(self) -> int:
        return 0 if self.finished else max(0, self.estimate_cents - self.billed_cents)


@dataclass(frozen=True)
class BudgetState:
    month: str
    monthly_limit_cents: int | None
    job_cap_cents: int | None
    spent_cents: int
    reserved_cents: int = 0
    reserved_jobs: int = 0

    @property
    def remaining_cents(self) -> int | None:
        if self.monthly_limit_cents is None:
            return None
        return max(0, self.monthly_limit_cents - self.spent_cents - self.reserved_cents)


def held(holds: list[Hold]) -> tuple[int, int]:
    """The cents the open reservations hold, and how many still hold something."""
    amounts = [h.cents() for h in holds]
    return sum(amounts), sum(1 for a in amounts if a > 0)


def refusal(state: BudgetState, estimate_cents: int, job_name: str = "", parent_name: str = "",
            parent_spent_cents: int = 0, linked: bool = False) -> ServiceError | None:
    """Why a job estimated at up to `estimate_cents` may not start, or None when it fits both
    what is left of the month and what is left of the per-job cap (which a retry or a resume
    shares with the jobs it continues)."""
    what = f"Job {job_name!r}" if job_name else \
        f"The job linked to {parent_name!r}" if linked else "This job"
    estimate = money.dollars(estimate_cents)
    remaining = state.remaining_cents
    if remaining is not None and estimate_cents > remaining:
        held_text = (f", {money.dollars(state.reserved_cents)} held for {state.reserved_jobs} "
                     "accepted job(s) not yet settled" if state.reserved_cents else "")
        return ServiceError(
            "budget_exceeded",
            f"{what} is estimated at up to {estimate}, more than the "
            f"{money.dollars(remaining)} left of this month's "
            f"{money.dollars(state.monthly_limit_cents or 0)} budget "
            f"({money.dollars(state.spent_cents)} spent in {state.month}{held_text}).",
            f"{CHEAPER}, wait for running jobs to finish, or raise the monthly limit with "
            "PUT /api/v1/budget.",
            {"estimate_cents": estimate_cents, "remaining_cents": remaining,
             "monthly_limit_cents": state.monthly_limit_cents, "spent_cents": state.spent_cents,
             "reserved_cents": state.reserved_cents, "month": state.month}, 422)
    cap = state.job_cap_cents
    cap_left = None if cap is None else max(0, cap - parent_spent_cents)
    if cap is not None and cap_left is not None and estimate_cents > cap_left:
        spent = f" ({money.dollars(parent_spent_cents)} already spent by {parent_name!r} and " \
                "the jobs it continues)" if parent_spent_cents else ""
        return ServiceError(
            "job_cap_exceeded",
            f"{what} is estimated at up to {estimate}, more than the {money.dollars(cap_left)} "
            f"left of the {money.dollars(cap)} per-job cost cap{spent}.",
            f"{CHEAPER}, or raise the per-job cap (job_cap_cents) with PUT /api/v1/budget.",
            {"estimate_cents": estimate_cents, "job_cap_cents": cap, "cap_left_cents": cap_left,
             "parent_spent_cents": parent_spent_cents}, 422)
    return None


def unbound_expired(created_at: datetime, now: datetime, ttl_s: float) -> bool:
    """A reservation no JobQueued has bound after `ttl_s`: its creation failed after reserving
    (or never reached the jobs service), so its estimate goes back to the month."""
    return now - created_at > timedelta(seconds=ttl_s)


def impact(state: BudgetState, estimate_cents: int) -> BudgetImpact:
    """UJ1.3.2, the review step before a job starts: what a job estimated at up to
    `estimate_cents` does to the month, and whether creating it would be refused (by the same
    `refusal` the reservation applies, so the review and the creation cannot disagree)."""
    remaining = state.remaining_cents
    refused = refusal(state, estimate_cents)
    return BudgetImpact(
        estimate_cents=estimate_cents, fits=refused is None,
        share_of_remaining_pct=money.percent(estimate_cents, remaining) if remaining else None,
        remaining_after_cents=None if remaining is None else max(0, remaining - estimate_cents),
        refusal=None if refused is None else refused.error)
