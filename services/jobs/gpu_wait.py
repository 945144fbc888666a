"""UJ2.1.2: a job that found no GPU to rent waits, and the user chooses how it goes on —
auto-retry (every 5 minutes, up to 1 hour), switch to on-demand, or cancel. No I/O.

The wait lives on the job as `gpu_wait` (proto.job_state.GpuWait). Every try is a new attempt,
so a late answer about an earlier try changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from libs.common.durations import duration_words
from proto.api import ServiceError
from proto.job_state import GpuChoiceRecord, GpuWait, JobFailure
from services.jobs.domain import Job

CHOICES = ("auto_retry", "on_demand", "cancel")


def label(job: Job) -> str:
    return f"{job.gpu_type} {'spot' if job.pricing == 'spot' else 'on-demand'}"


def no_gpu(job: Job, message: str, at: datetime) -> bool:
    """Provisioning found nothing to rent. True: the job waits, for the user's choice or its
    next auto-retry; False: the auto-retry window is over and the job failed."""
    if job.is_terminal:
        return False
    if job.status == "recovering":  # a new wait: an earlier one (before training) is over
        job.gpu_wait = None
    wait = job.gpu_wait = job.gpu_wait or GpuWait(since=at)
    wait.tries, wait.last_message = wait.tries + 1, message
    if wait.choice == "auto_retry":
        return _retry_later(job, at, wait)
    wait.choice = None  # an on-demand try found nothing either: the user chooses again
    job.wait_for_gpu(message, at)
    return True


def _retry_later(job: Job, at: datetime, wait: GpuWait) -> bool:
    assert wait.retry_every_s is not None and wait.retry_until is not None  # set by choose()
    next_at, until = at + timedelta(seconds=wait.retry_every_s), wait.retry_until
    if next_at > until:
        job.fail(_gave_up(job, wait), at)
        return False
    wait.next_retry_at = next_at
    job.status_message = (f"Still no {label(job)} GPU after {wait.tries} tries; trying "
                          f"again at {next_at:%H:%M:%S} UTC (until {until:%H:%M:%S} UTC).")
    return True


def _gave_up(job: Job, wait: GpuWait) -> JobFailure:
    spot = job.pricing == "spot"
    return JobFailure(
        source="provisioning", failure_class="no_capacity",
        message=f"No {label(job)} GPU became available within "
                f"{duration_words(wait.retry_limit_s or 0)} of automatic retries "
                f"({wait.tries} tries). The job has stopped.",
        suggested_fix="Retry later, or retry on-demand for an immediate start." if spot
        else "Retry later, or choose another GPU type.",
        suggested_changes={"pricing": "on_demand"} if spot else {})


def options(job: Job) -> list[str]:
    """The choices that still mean something for this job."""
    ruled_out = {"on_demand"} if job.pricing == "on_demand" else set()
    if job.gpu_wait is not None and job.gpu_wait.choice == "auto_retry":
        ruled_out.add("auto_retry")
    return [c for c in CHOICES if c not in ruled_out]


def recommended(job: Job) -> str:
    # UJ2.1.2 "clear recommendation": on-demand starts now; without it, waiting is the way.
    return "on_demand" if "on_demand" in options(job) else "auto_retry"


def choose(job: Job, choice: str, at: datetime, every_s: float, limit_s: float) -> str:
    """Record the user's choice and apply it to the job; the message says what happens now.
    The caller queues the new attempt (on-demand) or tells provisioning (cancel)."""
    if job.status != "waiting_for_gpu":
        raise ServiceError(
            "job_not_waiting_for_gpu", f"Job {job.name!r} is {job.status}; these options apply "
            f"only while a job waits for a GPU.", "Cancel it, or retry it once it has ended.",
            {"status": job.status}, 409)
    if choice not in options(job):
        raise ServiceError(
            "gpu_option_not_available", f"Job {job.name!r} cannot {choice.replace('_', ' ')} "
            f"now: it is {'already on-demand' if choice == 'on_demand' else 'already retrying'}.",
            f"Choose one of: {', '.join(options(job))}.", {"options": options(job)}, 409)
    wait = job.gpu_wait
    assert wait is not None  # waiting_for_gpu is entered only with one (no_gpu)
    wait.choice = choice
    wait.choices.append(GpuChoiceRecord(choice=choice, at=at))
    wait.next_retry_at = None
    if choice == "cancel":
        job.cancel("Cancelled while waiting for a GPU; try again later.", at)
        return job.status_message
    if choice == "on_demand":
        job.pricing = "on_demand"
        job.attempt += 1
        job.status_message = f"Switched to on-demand: starting a {label(job)} instance now."
        return job.status_message
    until = at + timedelta(seconds=limit_s)
    wait.retry_every_s, wait.retry_limit_s, wait.retry_until = every_s, limit_s, until
    wait.next_retry_at = min(at + timedelta(seconds=every_s), until)
    job.status_message = (f"Retrying automatically every {duration_words(every_s)} for up to "
                          f"{duration_words(limit_s)} (until {until:%H:%M:%S} UTC).")
    return job.status_message


def retry_due(job: Job, at: datetime) -> bool:
    """The auto-retry's next try is due: True with the new attempt to queue."""
    wait = job.gpu_wait
    if (job.status != "waiting_for_gpu" or wait is None or wait.choice != "auto_retry"
            or wait.next_retry_at is None or wait.next_retry_at > at):
        return False
    wait.next_retry_at = None  # a try in flight: its answer schedules the next one
    job.attempt += 1
    job.status_message = f"Trying again for a {label(job)} GPU (try {wait.tries + 1})…"
    return True
