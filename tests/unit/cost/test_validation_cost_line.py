"""Issue 12: the final breakdown's training and validation lines (services/cost/live.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.cost.live import Attempt, JobCost, final_breakdown

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lines(cost: JobCost) -> dict[str, int]:
    final = final_breakdown(cost, at(600), None)
    assert sum(line["cents"] for line in final["lines"]) == final["total_cents"]
    return {line["kind"]: line["cents"] for line in final["lines"]}


def test_an_attempt_is_split_at_its_first_validating_stage():
    run = Attempt(1, at(0), at(60), at(5), at(40), validation_started_at=at(45))
    assert lines(JobCost(600, None, [run])) == {"training": 450, "validation": 150}


def test_a_job_that_never_validated_has_an_empty_validation_line():
    run = Attempt(1, at(0), at(60), at(5), at(55))
    assert lines(JobCost(600, None, [run])) == {"training": 600, "validation": 0}


def test_a_validation_only_attempt_is_all_validation_and_no_interruption_overhead():
    first = Attempt(1, at(0), at(60), at(5), at(40), validation_started_at=at(45))
    rerun = Attempt(2, at(100), at(110), validation_only=True, rate_cents_per_hour=1200)
    cost = JobCost(600, None, [first, rerun])
    assert lines(cost) == {"training": 450, "validation": 150 + 200}  # 10 min at $12/h
    assert final_breakdown(cost, at(600), None)["interruption_overhead_cents"] == 0


def test_a_stage_reported_before_the_instance_started_counts_no_more_than_it_billed():
    odd = Attempt(1, at(10), at(20), validation_started_at=at(0))
    assert lines(JobCost(600, None, [odd])) == {"training": 0, "validation": 100}
