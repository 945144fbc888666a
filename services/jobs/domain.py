"""The job: its lifecycle state machine, configuration from presets, and naming. No I/O."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from proto.api import ServiceError
from proto.job_state import (
    GpuWait,
    Interruption,
    InterruptionHistory,
    InterruptionShown,
    JobFailure,
    ValidationRerun,
)
from proto.jobs import TERMINAL_STATUSES
from proto.presets import PRESETS
from proto.validation import ValidationPlan

# The order a job moves through; a trainer stage event can skip ahead, never move back.
LIFECYCLE = [
    "queued", "waiting_for_gpu", "provisioning", "preprocessing", "model_loading", "training",
    "finalizing", "validating", "completed",
]


class Job(msgspec.Struct, kw_only=True):
    """The job's state as its row holds it (repository.Jobs converts), and the rules that move
    it. `changes` is what moved since it was read, for the status history and the events."""

    id: uuid.UUID
    name: str
    status: str = "queued"
    status_message: str = ""
    attempt: int = 1
    started_at: datetime | None = None
    finished_at: datetime | None = None
    adapter_key: str | None = None
    error: JobFailure | None = None
    last_step: int = 0
    failed_recoveries: int = 0
    interruptions: list[Interruption] = []
    status_since: datetime | None = None
    gpu_type: str = "cpu"
    pricing: str = "spot"
    gpu_wait: GpuWait | None = None  # UJ2.1.2, see gpu_wait.py
    validation_rerun: ValidationRerun | None = None  # issue 12: the latest, on its own attempt
    changes: list[tuple[str, str, str]] = []  # (previous, new, message)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def _move(self, status: str, message: str, at: datetime) -> None:
        self.changes.append((self.status, status, message))
        self.status, self.status_message, self.status_since = status, message, at
        if status == "provisioning" and self.started_at is None:
            self.started_at = at
        if status in TERMINAL_STATUSES:
            self.finished_at = at

    def advance(self, status: str, message: str, at: datetime) -> bool:
        """Move forward along the lifecycle; stale or backward moves are ignored (False)."""
        if self.is_terminal:
            return False
        if self.status == "recovering":
            # UJ4.1.1: "Recovering…" holds while the new instance starts; back to training
            # once it trains again.
            if LIFECYCLE.index(status) < LIFECYCLE.index("training"):
                return False
            self._move(status, message, at)
            return True
        if LIFECYCLE.index(status) <= LIFECYCLE.index(self.status):
            return False
        self._move(status, message, at)
        return True

    def complete(self, adapter_key: str, at: datetime) -> bool:
        if self.rerunning:  # the re-run measured with the adapter the job completed with
            self._rerun_over(at, failure=None)
            return True
        if self.is_terminal:
            return False
        # A SIGTERM that lands after the last step checkpoints there: the attempt that recovers
        # trains no step and goes straight to Completed, which ends the downtime all the same.
        self._recovered(at, resumed=self.last_step)
        self.adapter_key = adapter_key
        self._move("completed", "Training completed; the adapter is ready to download.", at)
        return True

    def fail(self, error: JobFailure, at: datetime) -> bool:
        """Fail a live job; on an already failed one, richer details from the trainer still land."""
        if self.rerunning:  # a failed re-run never costs the adapter: the job stays completed
            self._rerun_over(at, failure=error.message or "the instance failed")
            return True
        if self.status == "failed":
            if error.source == "trainer" and (self.error is None or self.error.source != "trainer"):
                self.error = error
            return False
        if self.is_terminal:
            return False
        self.error = error
        self._move("failed", error.message or "Training failed.", at)
        return True

    def cancel(self, reason: str, at: datetime) -> None:
        if self.rerunning:
            self._rerun_over(at, failure=f"cancelled ({reason})")
            return
        if self.is_terminal:
            raise ServiceError(
                "job_not_cancellable", f"Job {self.name!r} is already {self.status}.",
                "Only queued or running jobs can be cancelled.", {"status": self.status}, 409,
            )
        self._move("cancelled", reason, at)

    def wait_for_gpu(self, message: str, at: datetime) -> None:
        """UJ2.1.2: no GPU to rent; the job waits for a choice (the rules: gpu_wait.py)."""
        if self.status == "waiting_for_gpu":
            self.status_message = message
        else:
            self._move("waiting_for_gpu", message, at)

    # --- Issue 12: a validation re-run that needs the model gets an attempt of its own -------

    @property
    def rerunning(self) -> bool:
        return (self.status == "validating" and self.validation_rerun is not None
                and self.validation_rerun.status == "running")

    def rerun_validation(self, run: int, suites: list[str], adapter_key: str,
                         at: datetime) -> bool:
        """Start a validation-only attempt; only a completed job has an adapter to measure."""
        if self.status != "completed" or (self.validation_rerun is not None
                                          and self.validation_rerun.run == run):
            return False
        self.attempt += 1
        self.validation_rerun = ValidationRerun(
            attempt=self.attempt, run=run, suites=list(suites), adapter_key=adapter_key,
            status="running", started_at=at)
        names = ", ".join(s.replace("_", " ") for s in suites)
        self._move("validating", f"Re-running validation: {names}", at)
        return True

    def _rerun_over(self, at: datetime, failure: str | None) -> None:
        """Back to completed, with the adapter, metrics and finish time training gave it."""
        rerun = self.validation_rerun
        assert rerun is not None
        rerun.status, rerun.message = ("failed", failure) if failure else ("completed", "")
        rerun.finished_at = at
        finished = self.finished_at
        self._move("completed", f"Validation re-run failed: {failure}. The adapter is intact; "
                                "re-run the validation to try again." if failure else
                   "Validation re-run finished; the adapter is unchanged.", at)
        self.finished_at = finished or at

    # --- UJ4.1: interruptions and their recovery ---------------------------------------------

    def interrupt(self, cause: str, at: datetime, step: int | None = None,
                  since: datetime | None = None) -> bool:
        """The instance is gone without Completed/Failed (spot reclaim, crash, lost heartbeat).
        True: recover on a new attempt (the caller queues it); False: nothing to do, or the
        recovery is given up and the job failed."""
        if self.rerunning:  # nothing to resume: the re-run is over, and no interruption
            self._rerun_over(at, failure=cause)
            return False
        if self.is_terminal:
            return False
        step = max(self.last_step, step or 0)
        if self.interruptions and self.interruptions[-1].recovered_at is None:
            # The attempt that was to recover never trained a step: that recovery failed.
            self.interruptions[-1].recovery_failed = True
            self.failed_recoveries += 1
        self.interruptions.append(Interruption(attempt=self.attempt, step=step, cause=cause,
                                               interrupted_at=since or at))
        if (self.failed_recoveries >= MAX_FAILED_RECOVERIES
                or len(self.interruptions) > MAX_INTERRUPTIONS):
            self.fail(self._recovery_given_up(step), at)
            return False
        self.attempt += 1
        self._move("recovering", f"Training interrupted at step {step}. Auto-recovering…", at)
        return True

    def _recovery_given_up(self, step: int) -> JobFailure:
        if self.failed_recoveries >= MAX_FAILED_RECOVERIES:
            why = (f"Recovery failed {self.failed_recoveries} times in a row (last: attempt "
                   f"{self.attempt})")
        else:
            why = f"Training was interrupted {len(self.interruptions)} times"
        return JobFailure(source="recovery", failure_class="interrupted",
                          message=f"{why}; training stopped at step {step}.",
                          suggested_fix="Resume from the last checkpoint on an on-demand "
                                        "instance, which the provider does not reclaim.",
                          suggested_changes={"pricing": "on_demand"}, step=step)

    def resuming_from(self, step: int | None) -> None:
        """The new attempt restored this checkpoint step (None: none was valid, from scratch)."""
        if self.interruptions and self.interruptions[-1].recovered_at is None:
            self.interruptions[-1].resumed_from_step = step or 0

    def trained(self, step: int, at: datetime) -> None:
        """A step of the current attempt; the first after an interruption ends its downtime."""
        self.last_step = step
        self._recovered(at, resumed=step - 1)

    def _recovered(self, at: datetime, resumed: int) -> None:
        """Close the open interruption, if any: `resumed` is the step the attempt resumed from
        where the trainer did not say (resuming_from)."""
        last = self.interruptions[-1] if self.interruptions else None
        if last is None or last.recovered_at is not None:
            return
        if last.resumed_from_step is None:
            last.resumed_from_step = resumed
        last.recovered_at = at
        last.downtime_s = round(max(0.0, (at - last.interrupted_at).total_seconds()), 1)
        last.steps_lost = max(0, last.step - last.resumed_from_step)
        self.failed_recoveries = 0

    def late_progress(self, attempt: int, step: int) -> None:
        """Progress of an interrupted attempt that arrives after its loss was noticed."""
        for item in self.interruptions:
            if item.attempt == attempt and step > item.step:
                item.step = step
                if item.resumed_from_step is not None and item.recovered_at is not None:
                    item.steps_lost = max(0, step - item.resumed_from_step)


MAX_FAILED_RECOVERIES = 3  # UJ4.1.1: then stop and offer on-demand
MAX_INTERRUPTIONS = 10  # a run killed every time it gets going (say, for memory) ends here

# UJ3.3.1: what a stage normally takes; past twice this, a warning. Training's comes from
# the job's estimate.
STAGE_EXPECTED_S = {"provisioning": 600.0, "preprocessing": 300.0, "model_loading": 900.0,
                    "recovering": 600.0, "finalizing": 600.0,
                    "validating": 1800.0}  # stage 5: the spec's slowest suite target, 30 min


def expected_stage_s(stage: str, estimate: dict[str, Any] | None) -> float | None:
    if stage == "training":
        return float((estimate or {}).get("duration_s_high") or 0) or None
    return STAGE_EXPECTED_S.get(stage)


def interruption_history(items: list[Interruption], status: str,
                         hourly_rate_cents: int | None) -> InterruptionHistory | None:
    """UJ4.1.2: "Interrupted 2x (auto-recovered)", with downtime and what it cost."""
    if not items:
        return None
    if all(i.recovered_at is not None for i in items):
        state = "auto-recovered"
    elif status == "failed":
        state = "recovery failed"
    else:
        state = "recovering…" if status == "recovering" else "not recovered"
    shown = []
    for item in items:
        cost = None
        if hourly_rate_cents is not None and item.downtime_s is not None:
            cost = round(item.downtime_s * hourly_rate_cents / 3600)
        shown.append(InterruptionShown(**msgspec.structs.asdict(item), extra_cost_cents=cost))
    downtime = round(sum(i.downtime_s or 0.0 for i in items), 1)
    costs = [i.extra_cost_cents for i in shown if i.extra_cost_cents is not None]
    return InterruptionHistory(
        summary=f"Interrupted {len(items)}x ({state})", count=len(items),
        total_downtime_s=downtime, extra_cost_cents=sum(costs) if costs else None, items=shown)


def default_job_name(file_name: str, preset: str, at: datetime) -> str:
    return f"{file_name} - {PRESETS[preset].title} - {at:%Y-%m-%d}"


def unique_job_name(name: str, taken: set[str], at: datetime) -> str:
    """UJ1.3.1: a duplicate name gets a timestamp appended rather than an error."""
    if name not in taken:
        return name
    candidate, n = f"{name} ({at:%Y-%m-%d %H:%M:%S})", 2
    while candidate in taken:
        candidate, n = f"{name} ({at:%Y-%m-%d %H:%M:%S} #{n})", n + 1
    return candidate


def validation_plan(asked: ValidationPlan | None) -> ValidationPlan:
    """Stage 5: a job validates with all four suites unless it asks otherwise; `{"suites": []}`
    turns validation off (the plan is kept, so a retry keeps the choice)."""
    return asked if asked is not None else ValidationPlan()
