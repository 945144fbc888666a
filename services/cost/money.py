"""Exact money. No floats anywhere: time is integer milliseconds, rates integer cents per hour.

The ledger keeps each amount as `units` = rate (cents/h) × billable ms, an integer, so sums of
entries are exact; one division turns units into cents at the edge, rounded half-up once.
When a rounded total is shown split into parts (compute/overhead, tags), `allocate` hands out
the cents by largest remainder so the parts always add up to the total shown.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MS_PER_HOUR = 3_600_000


def units(rate_cents_per_hour: int, billable_ms: int) -> int:
    """The exact amount of `billable_ms` at `rate`, in cent·ms/h (divide by an hour of ms)."""
    if rate_cents_per_hour < 0 or billable_ms < 0:
        raise ValueError("rates and durations are never negative")
    return rate_cents_per_hour * billable_ms


def exact_cents(amount_units: int) -> Fraction:
    return Fraction(amount_units, MS_PER_HOUR)


def round_cents(value: Fraction | int) -> int:
    """Half-up to a whole cent (what a bill shows)."""
    value = Fraction(value)
    floor, rest = divmod(value.numerator, value.denominator)
    return floor + (1 if 2 * rest >= value.denominator else 0)


def cents(amount_units: int) -> int:
    return round_cents(exact_cents(amount_units))


def allocate(total_cents: int, weights: list[int]) -> list[int]:
    """Split `total_cents` in proportion to `weights`; the parts sum to the total exactly and
    each is within one cent of its exact share (largest remainder, ties to the earlier part)."""
    if total_cents < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs non-negative amounts")
    weight = sum(weights)
    if not weights:
        return []
    if weight == 0:
        return [total_cents] + [0] * (len(weights) - 1)
    shares = [divmod(total_cents * w, weight) for w in weights]
    parts = [q for q, _ in shares]
    left = total_cents - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def dollars(cents_: int) -> str:
    """`$1,234.56` for messages and CSV; Decimal so formatting never rounds through a float."""
    value = (Decimal(cents_) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def percent(part: int, whole: int) -> int:
    """Whole percent of `whole` (0 when there is no whole), rounded half-up."""
    return round_cents(Fraction(100 * part, whole)) if whole > 0 else 0


def hours(ms: int) -> str:
    """Billable hours to four places, as text so JSON never turns it into a float."""
    return str((Decimal(ms) / MS_PER_HOUR).quantize(Decimal("0.0001"), ROUND_HALF_UP))
