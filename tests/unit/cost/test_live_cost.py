"""Live and final cost of a job, and the alert thresholds (UJ3.2.1, UJ3.2.2, UJ6.3.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.cost.live import Attempt, JobCost, alert_message, crossed, final_breakdown

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_spend_is_the_billable_time_at_the_rate_while_the_instance_runs():
    cost = JobCost(rate_cents_per_hour=249, estimate_cents=500,
                   attempts=[Attempt(1, started_at=at(0), training_started_at=at(10),
                                     last_progress_at=at(55))], step=45, total_steps=90)
    assert cost.spend_cents(at(60)) == 249
    assert cost.running()
    first = cost.attempts[0]
    assert first.billable_ms(at(60)) == 3_600_000 and first.productive_ms(at(60)) == 2_700_000


def test_projection_adds_the_remaining_steps_at_this_runs_pace():
    cost = JobCost(rate_cents_per_hour=360, estimate_cents=1000,
                   attempts=[Attempt(1, started_at=at(0), training_started_at=at(0),
                                     last_progress_at=at(60))], step=50, total_steps=100)
    # 60 min for 50 steps: 50 more steps take 60 min; spend 360 + 360 more
    assert cost.projected_cents(at(60)) == 720


def test_colour_turns_yellow_at_80_percent_and_red_above_the_estimate():
    def colour(spend_minutes: int) -> str:
        return JobCost(rate_cents_per_hour=600, estimate_cents=100,
                       attempts=[Attempt(1, started_at=at(0))]).colour(at(spend_minutes))

    assert [colour(7), colour(8), colour(10), colour(11)] == ["green", "yellow", "yellow", "red"]


def test_thresholds_crossed_are_those_at_or_below_the_spend_share():
    assert crossed(79, 100, [80, 100, 120]) == []
    assert crossed(80, 100, [120, 80, 100]) == [80]
    assert crossed(121, 100, [80, 100, 120]) == [80, 100, 120]
    assert crossed(5000, None, [80]) == [] and crossed(5000, 0, [80]) == []


def test_alert_messages_read_as_the_spec_words_them():
    assert alert_message(80, 3600, 4500, "") == "Job approaching cost estimate ($36.00 of $45.00, 80%)."
    assert alert_message(100, 4600, 4500, "") == "Job exceeded estimate ($46.00 of $45.00). Review status."
    assert "Consider cancelling" in alert_message(120, 5400, 4500, "run")


def test_final_cost_splits_compute_from_interruption_overhead_and_adds_up():
    attempts = [Attempt(1, at(0), at(60), at(10), at(58), interrupted=True),
                Attempt(2, at(65), at(125), at(80), at(125))]
    cost = JobCost(rate_cents_per_hour=249, estimate_cents=450, attempts=attempts)
    final = final_breakdown(cost, at(200), 450)
    # overhead: attempt 1's 2 min tail + attempt 2's 15 min restart = 17 of 120 billed minutes
    assert final["total_cents"] == 498
    assert final["compute_cents"] + final["interruption_overhead_cents"] == 498
    assert final["interruption_overhead_cents"] == 71  # 498 × 17/120 = 70.55
    assert final["interruptions"] == 1 and final["storage_cents"] == 0
    assert final["variance_pct"] == 11 and final["within_target"]
    assert final["billable_hours"] == "2.0000"
