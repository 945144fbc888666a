"""Money arithmetic: exact units, one rounding, parts that always add up to the total."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.cost import money

rates = st.integers(min_value=0, max_value=100_000)  # cents per hour, up to $1,000/h
durations = st.integers(min_value=0, max_value=90 * 86_400_000)  # up to 90 days of ms


@given(rates, st.lists(durations, min_size=1, max_size=20))
def test_billing_a_run_in_pieces_costs_exactly_what_billing_it_whole_does(rate, pieces):
    whole = money.units(rate, sum(pieces))
    assert sum(money.units(rate, p) for p in pieces) == whole
    assert money.cents(whole) == money.round_cents(Fraction(rate * sum(pieces), 3_600_000))


@given(st.integers(min_value=0, max_value=10**12),
       st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30))
def test_allocated_parts_sum_to_the_total_and_stay_within_a_cent_of_their_share(total, weights):
    parts = money.allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    if sum(weights):
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - Fraction(total * weight, sum(weights))) < 1


@given(st.fractions(min_value=0, max_value=10**9))
def test_rounding_is_half_up_to_the_nearest_cent(value):
    rounded = money.round_cents(value)
    assert -Fraction(1, 2) <= value - rounded < Fraction(1, 2)  # a half goes up: x.5 - (x+1)


def test_an_hour_at_the_spot_rate_is_the_rate_and_half_a_cent_rounds_up():
    assert money.cents(money.units(249, 3_600_000)) == 249
    assert money.round_cents(Fraction(1, 2)) == 1
    assert money.round_cents(Fraction(49, 100)) == 0
    assert money.cents(money.units(249, 18_900 * 3_600)) == 4706  # 18.9 h @ $2.49/h = $47.061


def test_dollars_are_formatted_without_passing_through_a_float():
    assert money.dollars(4832) == "$48.32"
    assert money.dollars(123_456_789) == "$1,234,567.89"
    assert money.dollars(-5) == "-$0.05"
    assert money.hours(68_040_000) == "18.9000"


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        money.units(-1, 10)
    with pytest.raises(ValueError):
        money.allocate(10, [1, -1])
