"""A job's spend, live and final (UJ3.2.1, UJ3.2.2, UJ6.3.1). Plain Python, no I/O.

Billable time is what the provider charges: instance started → exited, each attempt at the
rate of the JobQueued that started it (a switch to on-demand or to another GPU type changes
the price mid-job). Productive time is what trains: the trainer's first training step → its last
report, per attempt. Provisioning, loading and recovery are billed but train nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from services.cost import money


@dataclass(frozen=True)
class Attempt:
    attempt: int
    started_at: datetime | None = None
    exited_at: datetime | None = None
    training_started_at: datetime | None = None
    last_progress_at: datetime | None = None
    interrupted: bool = False
    rate_cents_per_hour: int | None = None  # None: the job's rate (JobCost.rate_cents_per_hour)
    gpu_type: str = ""
    pricing: str = ""
    # Issue 12: validation is billed as its own line, from the trainer's first "validating"
    # stage to the exit; a validation-only attempt (a re-run on the stored adapter) is all of it.
    validation_started_at: datetime | None = None
    validation_only: bool = False

    def billable_ms(self, now: datetime) -> int:
        if self.started_at is None:
            return 0
        return max(0, _ms((self.exited_at or now) - self.started_at))

    def productive_ms(self, now: datetime) -> int:
        if self.training_started_at is None or self.last_progress_at is None:
            return 0
        return min(max(0, _ms(self.last_progress_at - self.training_started_at)),
                   self.billable_ms(now))

    def validation_ms(self, now: datetime) -> int:
        if self.validation_only:
            return self.billable_ms(now)
        if self.validation_started_at is None or self.started_at is None:
            return 0
        return min(max(0, _ms((self.exited_at or now) - self.validation_started_at)),
                   self.billable_ms(now))

    def overhead_ms(self, now: datetime) -> int:
        """Interruption overhead: what a recovery re-bought (the restart of attempt ≥ 2) and
        what an interrupted attempt billed without training (its tail after the last step)."""
        if self.validation_only:
            return 0  # a re-run of validation recovers nothing: it is validation time
        if self.attempt > 1:
            return self.billable_ms(now) - self.productive_ms(now)
        if not self.interrupted or self.last_progress_at is None or self.started_at is None:
            return 0  # the first start-up would have been paid for anyway
        return min(self.billable_ms(now), max(0, _ms((self.exited_at or now) - self.last_progress_at)))


def _ms(delta) -> int:
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


@dataclass(frozen=True)
class JobCost:
    rate_cents_per_hour: int  # the job's: for an attempt that carries no rate of its own
    estimate_cents: int | None
    attempts: list[Attempt] = field(default_factory=list)
    step: int = 0
    total_steps: int = 0

    def rate(self, attempt: Attempt) -> int:
        return self.rate_cents_per_hour if attempt.rate_cents_per_hour is None \
            else attempt.rate_cents_per_hour

    def attempt_units(self, attempt: Attempt, now: datetime) -> int:
        return money.units(self.rate(attempt), attempt.billable_ms(now))

    def units(self, now: datetime) -> int:
        return sum(self.attempt_units(a, now) for a in self.attempts)

    def spend_cents(self, now: datetime) -> int:
        return money.cents(self.units(now))

    def running(self) -> bool:
        return any(a.started_at and not a.exited_at for a in self.attempts)

    def projected_cents(self, now: datetime) -> int:
        """Spend so far plus the remaining steps at this run's own pace; before the first
        steps, the estimate (or the spend, if that is already higher)."""
        spend = self.spend_cents(now)
        per_step_ms = self._ms_per_step(now)
        if not self.running():  # over (or between attempts): what it cost; unstarted: the estimate
            started = any(a.started_at for a in self.attempts)  # a queued attempt cost nothing
            return spend if started else max(spend, self.estimate_cents or 0)
        if per_step_ms is None:
            return max(spend, self.estimate_cents or 0)
        remaining_ms = int(per_step_ms * max(0, self.total_steps - self.step))
        rate = self.rate(self._current())  # the rest runs at the running attempt's price
        return money.cents(self.units(now) + money.units(rate, remaining_ms))

    def _current(self) -> Attempt:
        """The latest attempt that started: a later one may be queued (a row) but not running."""
        return next(a for a in reversed(self.attempts) if a.started_at)

    def _ms_per_step(self, now: datetime) -> Fraction | None:
        current = self._current() if self.running() else None
        if current is None or not self.step or not current.productive_ms(now):
            return None
        return Fraction(current.productive_ms(now), max(self.step, 1))

    def colour(self, now: datetime) -> str:
        """UJ3.2.1: green below 80% of the estimate, yellow to 100%, red above."""
        if not self.estimate_cents:
            return "green"
        share = Fraction(self.spend_cents(now), self.estimate_cents)
        return "green" if share < Fraction(4, 5) else "yellow" if share <= 1 else "red"


def crossed(spend_cents: int, estimate_cents: int | None, thresholds: list[int]) -> list[int]:
    """The thresholds (percent of the estimate) that `spend_cents` has reached."""
    if not estimate_cents:
        return []
    return [t for t in sorted(thresholds) if 100 * spend_cents >= t * estimate_cents]


def alert_message(threshold: int, spend_cents: int, estimate_cents: int, name: str) -> str:
    """The wording of UJ3.2.2, for the notification service to deliver as is."""
    amounts = f"{money.dollars(spend_cents)} of {money.dollars(estimate_cents)}"
    job = f"Job {name!r}" if name else "Job"
    if threshold < 100:
        return f"{job} approaching cost estimate ({amounts}, {threshold}%)."
    if threshold == 100:
        return f"{job} exceeded estimate ({amounts}). Review status."
    return f"{job} significantly over budget ({amounts}, {threshold}%). Consider cancelling."


def alert_level(threshold: int) -> str:
    if threshold < 100:
        return "approaching"
    return "exceeded" if threshold < 120 else "significantly_over"


def final_breakdown(cost: JobCost, now: datetime, estimate_cents: int | None) -> dict:
    """UJ6.3.1: compute, interruption overhead, storage, total, variance; parts sum to total.
    Compute and overhead are split by what each cost (its time at its attempt's rate), not by
    time alone: an on-demand restart costs more per minute than the spot run it recovers."""
    total = cost.spend_cents(now)
    billable = sum(a.billable_ms(now) for a in cost.attempts)
    overhead_units = sum(money.units(cost.rate(a), a.overhead_ms(now)) for a in cost.attempts)
    compute, overhead = money.allocate(total, [cost.units(now) - overhead_units, overhead_units])
    variance = None
    if estimate_cents:
        variance = money.percent(total - estimate_cents, estimate_cents) if total >= estimate_cents \
            else -money.percent(estimate_cents - total, estimate_cents)
    return {
        "compute_cents": compute, "billable_hours": money.hours(billable),
        "interruption_overhead_cents": overhead,
        "interruptions": sum(a.interrupted for a in cost.attempts),
        "storage_cents": 0,  # object storage is included; the field keeps the bill's shape
        "total_cents": total, "estimate_cents": estimate_cents, "variance_pct": variance,
        "within_target": variance is not None and abs(variance) <= 15,
        "by_rate": by_rate(cost, now, total),
        "lines": cost_lines(cost, now, total),
    }


def cost_lines(cost: JobCost, now: datetime, total_cents: int) -> list[dict]:
    """UJ6.3.1 and issue 12: training (with start-up and recovery) and validation as lines of
    their own, each its time at its attempt's rate, the cents adding up to the total."""
    parts = {"training": [0, 0], "validation": [0, 0]}  # kind -> [ms, units]
    for a in cost.attempts:
        rate, validation = cost.rate(a), a.validation_ms(now)
        for kind, ms in (("training", a.billable_ms(now) - validation), ("validation", validation)):
            parts[kind][0] += ms
            parts[kind][1] += money.units(rate, ms)
    shares = money.allocate(total_cents, [units for _, units in parts.values()])
    return [{"kind": kind, "label": kind.capitalize(), "billable_hours": money.hours(ms),
             "cents": cents}
            for (kind, (ms, _)), cents in zip(parts.items(), shares, strict=True)]


def by_rate(cost: JobCost, now: datetime, total_cents: int) -> list[dict]:
    """The bill per price the job ran at (spot, then on-demand, or another GPU type): billable
    hours and cents of each, the cents adding up to the total."""
    groups: dict[tuple[str, str, int], list[int]] = {}
    for a in cost.attempts:
        ms_units = groups.setdefault((a.gpu_type, a.pricing, cost.rate(a)), [0, 0])
        ms_units[0] += a.billable_ms(now)
        ms_units[1] += cost.attempt_units(a, now)
    shares = money.allocate(total_cents, [u for _, u in groups.values()])
    return [{"gpu_type": gpu, "pricing": pricing, "rate_cents_per_hour": rate,
             "billable_hours": money.hours(ms), "cents": cents}
            for ((gpu, pricing, rate), (ms, _)), cents in zip(groups.items(), shares, strict=True)]
