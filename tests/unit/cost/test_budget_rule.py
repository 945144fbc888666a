"""The budget rule (issue 15): what is left of a month counts jobs accepted but not settled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.cost.budget_rule import BudgetState, Hold, held, impact, refusal, unbound_expired


def state(limit: int | None = 1_000, spent: int = 0, holds: list[Hold] | None = None,
          cap: int | None = None) -> BudgetState:
    reserved, jobs = held(holds or [])
    return BudgetState(month="2026-12", monthly_limit_cents=limit, job_cap_cents=cap,
                       spent_cents=spent, reserved_cents=reserved, reserved_jobs=jobs)


def test_a_held_estimate_shrinks_as_its_job_is_billed_and_is_gone_once_it_finishes():
    assert Hold(300).cents() == 300  # accepted, no instance yet
    assert Hold(300, billed_cents=120).cents() == 180
    assert Hold(300, billed_cents=450).cents() == 0  # over its estimate: spend counts it all
    assert Hold(300, billed_cents=120, finished=True).cents() == 0
    assert held([Hold(300), Hold(200, 50), Hold(100, finished=True)]) == (450, 2)


def test_remaining_is_the_limit_less_spend_less_what_is_held():
    assert state(1_000, spent=200, holds=[Hold(300), Hold(100)]).remaining_cents == 400
    assert state(1_000, spent=900, holds=[Hold(300)]).remaining_cents == 0  # never negative
    assert state(None, spent=900, holds=[Hold(300)]).remaining_cents is None


def test_a_budget_for_three_accepts_the_third_and_refuses_the_fourth():
    holds: list[Hold] = []
    decisions = []
    for _ in range(5):
        error = refusal(state(3 * 72 + 30, holds=holds), 72, job_name="run")
        decisions.append(error is None)
        if error is None:
            holds.append(Hold(72))
    assert decisions == [True, True, True, False, False]


def test_a_refusal_names_what_is_held_and_how_to_fix_it():
    error = refusal(state(1_000, spent=250, holds=[Hold(600), Hold(100)]), 200, job_name="big")
    assert error is not None and error.error.code == "budget_exceeded"
    assert error.error.status == 422
    assert "$0.50 left of this month's $10.00 budget" in error.error.message
    assert "$7.00 held for 2 accepted job(s) not yet settled" in error.error.message
    assert "PUT /api/v1/budget" in error.error.how_to_fix
    assert error.error.details["reserved_cents"] == 700


def test_the_per_job_cap_still_applies_and_counts_what_the_parents_spent():
    assert refusal(state(None, cap=500), 400) is None
    error = refusal(state(None, cap=500), 400, parent_name="first", parent_spent_cents=200,
                    linked=True)
    assert error is not None and error.error.code == "job_cap_exceeded"
    assert "$3.00 left of the $5.00 per-job cost cap" in error.error.message


def test_an_unbound_reservation_expires_after_the_ttl():
    made = datetime(2026, 12, 1, tzinfo=UTC)
    assert not unbound_expired(made, made + timedelta(seconds=299), 300)
    assert unbound_expired(made, made + timedelta(seconds=301), 300)


def test_the_review_step_sees_the_jobs_share_of_what_is_left_and_the_refusal_creation_would_give():
    fits = impact(state(1_000, spent=200, holds=[Hold(300)]), 125)  # 500 left
    assert (fits.fits, fits.share_of_remaining_pct, fits.remaining_after_cents) == (True, 25, 375)
    assert fits.refusal is None

    over = impact(state(1_000, spent=200, holds=[Hold(300)]), 501)
    assert (over.fits, over.share_of_remaining_pct, over.remaining_after_cents) == (False, 100, 0)
    assert over.refusal is not None and over.refusal.code == "budget_exceeded"
    assert "$5.01" in over.refusal.message and "$5.00 left" in over.refusal.message
    assert over.refusal == refusal(state(1_000, spent=200, holds=[Hold(300)]), 501).error


def test_without_a_limit_there_is_no_share_and_the_per_job_cap_still_refuses():
    free = impact(state(None, spent=900), 10_000)
    assert (free.fits, free.share_of_remaining_pct, free.remaining_after_cents) == \
        (True, None, None)
    capped = impact(state(None, cap=500), 600)
    assert not capped.fits and capped.refusal is not None
    assert capped.refusal.code == "job_cap_exceeded"
    assert impact(state(1_000, spent=1_000), 0).share_of_remaining_pct is None  # nothing left
