"""Interruption recovery, retry plans and fault-injection choices as plain Python: no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from proto.jobs import FaultInjection
from services.jobs.domain import Job, interruption_history
from services.jobs.lineage import describe, plan
from services.provisioning.fault_injection import choose

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def training_job(step: int = 10) -> Job:
    job = Job(id=uuid.uuid4(), name="job", status="training")
    job.trained(step, T0)
    return job


def test_an_interruption_moves_to_recovering_on_the_next_attempt():
    job = training_job(step=850)
    assert job.interrupt("instance exited (code -9)", T0)
    assert (job.status, job.attempt) == ("recovering", 2)
    assert job.status_message == "Training interrupted at step 850. Auto-recovering…"


def test_recovering_holds_until_the_new_attempt_trains_and_records_the_downtime():
    job = training_job(step=850)
    job.interrupt("reclaimed", T0)
    assert not job.advance("preprocessing", "", T0 + timedelta(seconds=30))
    assert job.status == "recovering"
    job.resuming_from(800)
    job.trained(801, T0 + timedelta(minutes=8))
    assert job.advance("training", "Training.", T0 + timedelta(minutes=8))
    [item] = job.interruptions
    assert (item.resumed_from_step, item.steps_lost, item.downtime_s) == (800, 50, 480.0)
    assert item.recovered_at == T0 + timedelta(minutes=8)
    history = interruption_history(job.interruptions, job.status, hourly_rate_cents=300)
    assert history.summary == "Interrupted 1x (auto-recovered)"
    assert history.extra_cost_cents == 40  # 8 min at $3/h


def test_progress_of_the_lost_attempt_arriving_late_corrects_its_step():
    job = training_job(step=5)
    job.interrupt("instance exited (code -9)", T0)
    job.late_progress(1, 7)
    job.resuming_from(6)
    job.trained(7, T0)
    assert (job.interruptions[0].step, job.interruptions[0].steps_lost) == (7, 1)


def test_three_failed_recoveries_in_a_row_fail_with_on_demand_suggested():
    job = training_job()
    assert job.interrupt("reclaimed", T0)
    assert job.interrupt("reclaimed", T0) and job.interrupt("reclaimed", T0)
    assert not job.interrupt("reclaimed", T0)
    assert job.status == "failed" and job.error.failure_class == "interrupted"
    assert job.error.suggested_changes == {"pricing": "on_demand"}
    # Each of the first three was followed by an attempt that never trained; the last one's
    # recovery was not tried.
    assert [i.recovery_failed for i in job.interruptions] == [True, True, True, False]
    assert interruption_history(job.interruptions, job.status, None).summary == \
        "Interrupted 4x (recovery failed)"


def test_a_recovery_that_trains_resets_the_failed_count():
    job = training_job()
    for _ in range(5):
        assert job.interrupt("reclaimed", T0)
        job.trained(job.last_step + 1, T0)
    assert job.failed_recoveries == 0 and job.status == "recovering"


def test_a_terminal_job_is_not_interrupted():
    job = training_job()
    job.cancel("Testing", T0)
    assert not job.interrupt("instance exited (code 143)", T0)
    assert job.status == "cancelled"


def test_a_retry_plan_applies_changes_and_says_what_changed():
    parent = {"lora": {"r": 16, "alpha": 32, "dropout": 0.05},
              "hyperparameters": {"micro_batch_size": 4, "grad_accumulation": 4},
              "pricing": "spot", "gpu_type": "H100-80GB"}
    planned = plan(parent, {"micro_batch_size": 2, "grad_accumulation": 8, "pricing": "on_demand"})
    assert planned["hyperparameters"]["micro_batch_size"] == 2 and planned["pricing"] == "on_demand"
    assert describe(planned["changes"]) == ("batch_size reduced, grad_accumulation increased, "
                                            "pricing switched to on_demand")


def test_fault_injection_picks_given_steps_then_random_ones_inside_the_run():
    job_id = uuid.uuid4()
    given = FaultInjection(at_steps=[5, 9], signals=["sigterm", "sigkill"])
    assert (choose(given, job_id, 1, 1, 20).step, choose(given, job_id, 2, 5, 20).signal) == \
        (5, "sigkill")
    assert choose(given, job_id, 3, 9, 20).step is None
    random = FaultInjection(random_interruptions=2, seed=3)
    steps = {choose(random, job_id, 2, 7, 20).step for _ in range(3)}
    assert len(steps) == 1 and 7 <= steps.pop() <= 19  # seeded: the same on a restart
    assert choose(random, job_id, 3, 7, 20).step is None


def test_a_recovery_that_resumes_at_the_last_step_and_completes_is_recovered():
    # The SIGTERM landed after the last step: the new attempt has no step left to train.
    job = training_job(step=12)
    job.interrupt("reclaimed; checkpointed on SIGTERM", T0, step=12)
    job.resuming_from(12)
    assert job.complete("adapters/job/adapter.tar", T0 + timedelta(seconds=40))
    [item] = job.interruptions
    assert (item.steps_lost, item.downtime_s) == (0, 40.0)
    history = interruption_history(job.interruptions, job.status, hourly_rate_cents=None)
    assert history.summary == "Interrupted 1x (auto-recovered)"
