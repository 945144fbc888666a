"""UJ2.1.2 rules for a job with no GPU to rent: plain Python, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from libs.common.durations import duration_words
from proto.api import ServiceError
from services.jobs import gpu_wait
from services.jobs.domain import Job

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def waiting(pricing: str = "spot") -> Job:
    job = Job(id=uuid.uuid4(), name="j", gpu_type="H100-80GB", pricing=pricing)
    assert gpu_wait.no_gpu(job, "No H100-80GB spot instances.", T0)
    return job


@pytest.mark.parametrize(("seconds", "words"), [(300, "5 minutes"), (3600, "1 hour"),
                                                (7200, "2 hours"), (0.5, "0.5 seconds")])
def test_durations_read_as_the_spec_says_them(seconds, words):
    assert duration_words(seconds) == words


def test_no_gpu_waits_with_every_option_and_recommends_on_demand():
    job = waiting()
    assert job.status == "waiting_for_gpu" and job.changes[-1][1] == "waiting_for_gpu"
    assert gpu_wait.options(job) == ["auto_retry", "on_demand", "cancel"]
    assert gpu_wait.recommended(job) == "on_demand"


def test_auto_retry_tries_every_interval_until_the_limit_then_fails():
    job = waiting()
    gpu_wait.choose(job, "auto_retry", T0, every_s=300, limit_s=900)
    at = T0
    for _ in range(3):
        at += timedelta(seconds=300)
        assert not gpu_wait.retry_due(job, at - timedelta(seconds=1))
        assert gpu_wait.retry_due(job, at)
        assert not gpu_wait.retry_due(job, at)  # one try in flight at a time
        still = gpu_wait.no_gpu(job, "none", at)
    assert not still and job.status == "failed"
    assert job.error.message.startswith("No H100-80GB spot GPU became available within "
                                           "15 minutes of automatic retries (4 tries)")


def test_on_demand_is_a_new_attempt_and_refused_once_on_demand():
    job = waiting()
    gpu_wait.choose(job, "on_demand", T0, 300, 3600)
    assert (job.pricing, job.attempt) == ("on_demand", 2)
    gpu_wait.no_gpu(job, "none on-demand either", T0)
    with pytest.raises(ServiceError) as refused:
        gpu_wait.choose(job, "on_demand", T0, 300, 3600)
    assert refused.value.error.details["options"] == ["auto_retry", "cancel"]
    assert [(c.choice, c.at) for c in job.gpu_wait.choices] == [("on_demand", T0)]
