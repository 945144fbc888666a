"""services/jobs/history.py: the rates and wait times the configure page and the no-GPU offer
show, counted from finished jobs (UJ1.2.1, UJ1.2.2, UJ2.1.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proto.job_state import GpuChoiceRecord, GpuWait
from services.jobs import history
from services.jobs.history import FinishedJob, GpuWaitRow

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def job(preset="balanced", status="completed", pricing="spot", gpu="H100", interruptions=0,
        started=True) -> FinishedJob:
    return FinishedJob(preset=preset, gpu_type=gpu, pricing=pricing, status=status,
                       interruptions=interruptions, started=started)


def wait(minutes: float | None, gpu="H100", pricing="spot", choices=()) -> GpuWaitRow:
    return GpuWaitRow(gpu_type=gpu, pricing=pricing,
                      wait=GpuWait(since=T0, choices=[GpuChoiceRecord(choice=c, at=T0)
                                                      for c in choices]),
                      gpu_at=None if minutes is None else T0 + timedelta(minutes=minutes))


def test_success_rate_counts_completed_among_finished_and_says_on_how_many():
    jobs = [job()] * 23 + [job(status="failed")] * 2 + [job(status="cancelled")] * 5
    rates = history.preset_success(jobs, ["conservative", "balanced"])
    assert rates["balanced"].rate_pct == 92
    assert rates["balanced"].count == 25  # cancelled jobs say nothing about the preset
    assert rates["balanced"].text == "92% of 25 finished jobs succeeded"


def test_a_preset_without_finished_jobs_has_no_history_yet():
    rates = history.preset_success([job(preset="balanced")], ["conservative", "balanced"])
    assert rates["conservative"].rate_pct is None
    assert rates["conservative"].text == "no history yet"
    assert rates["balanced"].text == "100% of 1 finished job succeeded"


def test_spot_interruption_rate_per_gpu_type_leaves_out_on_demand_and_never_started():
    jobs = ([job(interruptions=2), job(), job(), job(gpu="A100", interruptions=1)]
            + [job(pricing="on_demand", interruptions=0)] * 10
            + [job(status="cancelled", started=False)] * 3)
    overall, per_gpu = history.spot_interruptions(jobs)
    assert (overall.part, overall.count, overall.rate_pct) == (2, 4, 50)
    assert per_gpu["H100"].text == "33% of 3 spot jobs interrupted"
    assert per_gpu["A100"].rate_pct == 100


def test_no_spot_jobs_means_no_history_yet():
    overall, per_gpu = history.spot_interruptions([job(pricing="on_demand")])
    assert overall.text == "no history yet" and per_gpu == {}


def test_gpu_return_time_is_the_median_of_waits_that_ended_with_a_gpu():
    rows = [wait(10), wait(20), wait(50), wait(None), wait(5, choices=["on_demand"]),
            wait(30, gpu="A100")]
    times = history.return_times(rows)
    assert times["H100"]["spot"].median_s == 20 * 60
    assert times["H100"]["spot"].count == 3  # still waiting and switched away: not counted
    assert times["H100"]["spot"].text == ("typically available again within 20 minutes "
                                          "(median of 3 past waits here)")
    assert times["A100"]["spot"].count == 1


def test_a_wait_that_auto_retried_counts_until_the_gpu_came():
    times = history.return_times([wait(45, choices=["auto_retry"])])
    assert times["H100"]["spot"].median_s == 45 * 60


def test_no_wait_is_no_history():
    assert history.return_times([wait(None)]) == {}
    assert history.return_time([]).text == "no history yet"


def test_about_rounds_to_the_unit_people_read():
    assert history.about(40) == "40 seconds"
    assert history.about(17.4 * 60) == "17 minutes"
    assert history.about(5400) == "1.5 hours"


def test_spot_success_counts_interrupted_jobs_that_recovered():
    jobs = [job(interruptions=1)] * 3 + [job(status="failed")] + [job(pricing="on_demand")]
    rates = history.pricing_success(jobs)
    assert rates["spot"].text == "75% of 4 finished jobs succeeded"
    assert rates["on_demand"].rate_pct == 100
