"""What the jobs service keeps on a job beside its status, as JSON on the job's row and shown on
`JobView`: its interruptions and their recovery (UJ4.1), its wait for a GPU (UJ2.1.2), a
validation re-run's attempt (issue 12), why it failed, and the parent it was retried or resumed
from.

Mutable, unlike messages: services/jobs/domain.py moves them as the job's events arrive. Every
field is present in the JSON (None where not yet known), so a reader never has to ask whether
a key exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec


class Interruption(msgspec.Struct, kw_only=True):
    """One attempt lost without Completed/Failed (spot reclaim, crash, lost heartbeat)."""

    attempt: int  # the attempt that was lost
    step: int  # the last step it reached (a late Progress can raise it)
    cause: str
    interrupted_at: datetime
    recovered_at: datetime | None = None  # the next attempt's first trained step
    recovery_failed: bool = False  # the attempt meant to recover never trained a step
    resumed_from_step: int | None = None  # the checkpoint the recovering attempt restored
    downtime_s: float | None = None  # from interrupted_at to recovered_at
    steps_lost: int | None = None  # trained again because they came after the checkpoint


class GpuChoiceRecord(msgspec.Struct, kw_only=True):
    choice: str  # auto_retry | on_demand | cancel (proto.jobs.GpuChoice)
    at: datetime


class GpuWait(msgspec.Struct, kw_only=True):
    """UJ2.1.2: provisioning found no GPU to rent; the user chooses how the job goes on.
    Rules: services/jobs/gpu_wait.py."""

    since: datetime
    tries: int = 0  # provisioning tries that found nothing
    choice: str | None = None  # None while the user has not chosen (again)
    choices: list[GpuChoiceRecord] = []
    next_retry_at: datetime | None = None  # auto-retry: None while a try is in flight
    retry_every_s: float | None = None
    retry_limit_s: float | None = None
    retry_until: datetime | None = None
    last_message: str = ""
    # How long a GPU took to come back here (services/jobs/history.ReturnTime as builtins).
    typical_return: dict[str, Any] | None = None


class ValidationRerun(msgspec.Struct, kw_only=True):
    """Issue 12: the latest validation re-run that needed an instance, on an attempt of its own."""

    attempt: int
    run: int  # the validation service's run number
    suites: list[str]
    adapter_key: str
    status: Literal["running", "completed", "failed"]
    started_at: datetime
    message: str = ""  # why it failed
    finished_at: datetime | None = None


class JobFailure(msgspec.Struct, kw_only=True):
    """Why a job failed, with what to change: from the trainer's Failed, provisioning, or the
    recovery that gave up."""

    source: str  # trainer | provisioning | recovery
    failure_class: str  # proto.training.FailureClass, or provisioning's (no_capacity, ...)
    message: str
    suggested_fix: str = ""
    suggested_changes: dict[str, Any] = {}  # JobSettings fields, as RetryJob applies them
    step: int | None = None
    last_checkpoint_key: str | None = None


class FieldChange(msgspec.Struct, kw_only=True):
    """One setting a retry or resume changed from its parent's."""

    field: str
    before: Any
    after: Any


class Lineage(msgspec.Struct, kw_only=True):
    """How a job came from its parent: a retry (UJ4.2.2) or a manual resume (UJ4.3.2)."""

    kind: Literal["retry", "resume"]
    parent_job_id: uuid.UUID
    parent_name: str
    changes: list[FieldChange]
    applied_suggestion: bool = False  # retry: with the parent's suggested fix
    checkpoint_step: int | None = None  # resume: the parent's checkpoint it starts from
    checkpoint_key: str | None = None


class InterruptionShown(Interruption, kw_only=True):
    extra_cost_cents: int | None = None  # the downtime at the job's hourly rate, when known


class InterruptionHistory(msgspec.Struct, kw_only=True):
    """UJ4.1.2, as JobView shows it: "Interrupted 2x (auto-recovered)", downtime and cost."""

    summary: str
    count: int
    total_downtime_s: float
    extra_cost_cents: int | None  # None: no item's cost is known
    items: list[InterruptionShown]
