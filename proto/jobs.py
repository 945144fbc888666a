"""Jobs service: the job lifecycle events, and the commands/queries the gateway sends it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.base import Message
from proto.job_state import (
    GpuWait,
    InterruptionHistory,
    JobFailure,
    Lineage,
    ValidationRerun,
)
from proto.monitoring import ProgressView
from proto.training import Hyperparameters, LoraSettings, ModelRef
from proto.validation import ValidationPlan

JobStatus = Literal[
    "queued",
    "waiting_for_gpu",  # UJ2.1.2: no GPU to rent; the user chooses how to go on
    "provisioning",
    "preprocessing",
    "model_loading",
    "training",
    "recovering",
    "finalizing",
    "validating",
    "completed",
    "failed",
    "cancelled",
]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
Pricing = Literal["spot", "on_demand"]
Tag = Literal["experiment", "production", "client-delivery", "test"]
# UJ2.1.2: the ways on when no GPU can be rented.
GpuChoice = Literal["auto_retry", "on_demand", "cancel"]


class FaultInjection(msgspec.Struct, frozen=True, kw_only=True):
    """Local provider only (demos, tests): take the instance away like a spot reclaim would.

    Attempt k is interrupted when it reports step `at_steps[k-1]`, or — for attempts
    1..`random_interruptions` — at a random step after it resumed; with `signals[(k-1) % n]`.
    SIGTERM gives the trainer `grace_s` to checkpoint before SIGKILL; SIGSTOP freezes it
    (a hung instance: only heartbeat loss can tell).
    """

    at_steps: list[Annotated[int, msgspec.Meta(ge=1)]] = msgspec.field(default_factory=list)
    random_interruptions: Annotated[int, msgspec.Meta(ge=0, le=50)] = 0
    signals: list[Literal["sigterm", "sigkill", "sigstop"]] = msgspec.field(
        default_factory=lambda: ["sigterm"])
    grace_s: Annotated[float, msgspec.Meta(ge=0.0, le=300.0)] = 30.0
    seed: int = 0


class JobQueued(Message, frozen=True, kw_only=True):
    """A job is ready to run: provisioning starts an instance for it."""

    subject: ClassVar[str] = "jobs.job.queued.v1"
    job_id: uuid.UUID
    attempt: int = 1
    training_file_key: str
    model: ModelRef
    lora: LoraSettings
    hyperparameters: Hyperparameters
    provider: Literal["local", "runpod"] = "local"
    gpu_type: str = "cpu"
    pricing: Pricing = "spot"
    gpu_count: int = 1
    resume_from: str | None = None
    fault_injection: FaultInjection | None = None
    # What cost accounts the job by, so it asks no one (events stored before these fields
    # decode with the defaults): the estimate the user saw, the name its alerts use, the tags
    # its cost is attributed to (UJ6.3.1), when it was created, and the job it retries or
    # resumes (a per-job cap counts that job's spend too).
    name: str = ""
    tags: list[str] = msgspec.field(default_factory=list)
    estimate: dict | None = None
    created_at: datetime | None = None
    parent_job_id: uuid.UUID | None = None
    # The budget reservation the job was accepted on (rpc.cost.reserve_budget): cost binds it
    # to the job on this event and releases it once the job's final cost is settled.
    reservation_id: uuid.UUID | None = None
    # Stage 5: the suites the trainer measures after training (None: none, as for jobs queued
    # before validation existed).
    validation: ValidationPlan | None = None


class JobStatusChanged(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "jobs.job.status_changed.v1"
    job_id: uuid.UUID
    status: JobStatus
    previous: JobStatus | None = None
    message: str = ""
    # How many attempts the job has had queued: a final status tells cost which instances it
    # must see started and gone before the final cost (each travels on its own subject).
    attempt: int = 1
    # A validation re-run's attempt moves a completed job to `validating` and back: the validation
    # service tells users about the re-run, so these moves are no new "job completed".
    validation_rerun: bool = False


class JobCancelled(Message, frozen=True, kw_only=True):
    """Provisioning terminates the job's instance on this."""

    subject: ClassVar[str] = "jobs.job.cancelled.v1"
    job_id: uuid.UUID
    reason: str = ""


class StageStuck(Message, frozen=True, kw_only=True):
    """UJ3.3.1: a stage has run past twice its expected duration (a warning, not a failure)."""

    subject: ClassVar[str] = "jobs.job.stage_stuck.v1"
    job_id: uuid.UUID
    attempt: int = 1
    stage: JobStatus
    elapsed_s: float
    expected_s: float
    message: str = ""


class GpuUnavailable(Message, frozen=True, kw_only=True):
    """UJ2.1.2: provisioning found no GPU to rent; the job waits for the user's choice (or for
    its next auto-retry). What the console's modal shows."""

    subject: ClassVar[str] = "jobs.job.gpu_unavailable.v1"
    job_id: uuid.UUID
    attempt: int
    gpu_type: str
    pricing: Pricing
    tries: int  # provisioning tries that found nothing, this one included
    message: str
    options: list[GpuChoice]
    recommended: GpuChoice
    next_retry_at: datetime | None = None  # while auto-retrying
    # How long a GPU of this type and pricing took to come back here: {"median_s", "count",
    # "text"} (services/jobs/history.py); "no history yet" until one has.
    typical_return: dict | None = None


class GpuChoiceMade(Message, frozen=True, kw_only=True):
    """UJ2.1.2: the user's choice for a job waiting for a GPU, as recorded."""

    subject: ClassVar[str] = "jobs.job.gpu_choice_made.v1"
    job_id: uuid.UUID
    choice: GpuChoice
    message: str


# --- RPC (request/reply) -------------------------------------------------------------------------


class RegisterTrainingFile(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.register_training_file"
    storage_key: str
    filename: str
    size_bytes: int


class ListTrainingFiles(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_training_files"
    q: str = ""
    limit: int = 100


class GetTrainingFile(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.get_training_file"
    training_file_id: uuid.UUID


class ListPresets(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_presets"


class GetJobHistory(msgspec.Struct, frozen=True, kw_only=True):
    """UJ1.2.2 / UJ2.1.2: from this installation's jobs, the spot interruption rate (overall and
    per GPU type) and how long GPUs took to come back after none was free. Answers
    `{"spot_interruption": Rate, "pricing_success": {"spot"|"on_demand": Rate}, "gpu_types":
    {gpu: {"spot_interruption": Rate, "gpu_return": {"spot"|"on_demand": ReturnTime}}},
    "unknown_gpu": {...}}` (services/jobs/history.py)."""

    subject: ClassVar[str] = "rpc.jobs.history"
    gpu_type: str | None = None


class HyperparameterOverrides(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Fields a user may override on top of the preset; each is range-checked."""

    learning_rate: float | None = None
    epochs: int | None = None
    micro_batch_size: int | None = None
    grad_accumulation: int | None = None
    max_seq_len: int | None = None
    max_steps: int | None = None
    checkpoint_every_steps: int | None = None
    gradient_checkpointing: Literal["auto", "all", "none"] | None = None
    r: int | None = None
    alpha: int | None = None
    dropout: float | None = None
    seed: int | None = None  # the trainer's seed (the OpenAI-compatible API's `seed`)


class CreateJob(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.create_job"
    # The training data: an uploaded file, or a training set combining several (issue 17).
    training_file_id: uuid.UUID | None = None
    training_set_id: uuid.UUID | None = None
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    name: str | None = None
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    tags: list[Tag] = msgspec.field(default_factory=list)
    gpu_type: str = "cpu"
    pricing: Pricing = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1  # GPUs of `gpu_type` per instance
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    # No estimate or reservation: the jobs service asks the cost service for both (issue 15).
    fault_injection: FaultInjection | None = None
    # Stage 5: None gets the default plan (all four suites); {"suites": []} turns it off.
    validation: ValidationPlan | None = None


class ListJobs(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_jobs"
    status: str | None = None
    limit: int = 100
    # Newest first; a page after this job: the jobs created before it (cursor pagination).
    after_job_id: uuid.UUID | None = None


class ListCheckpoints(msgspec.Struct, frozen=True, kw_only=True):
    """The job's complete checkpoints in object storage, oldest first: [{"step", "key"}] (the
    ones a resume can start from; older ones the trainer pruned are gone)."""

    subject: ClassVar[str] = "rpc.jobs.list_checkpoints"
    job_id: uuid.UUID


class GetJob(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.get_job"
    job_id: uuid.UUID


class CancelJob(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.cancel_job"
    job_id: uuid.UUID
    reason: str = "cancelled by user"


class ChooseGpuOption(msgspec.Struct, frozen=True, kw_only=True):
    """UJ2.1.2: how a job waiting for a GPU goes on."""

    subject: ClassVar[str] = "rpc.jobs.choose_gpu_option"
    job_id: uuid.UUID
    choice: GpuChoice


class JobView(msgspec.Struct, frozen=True, kw_only=True):
    """What the jobs service answers about a job."""

    id: uuid.UUID
    name: str
    description: str
    notes: str
    tags: list[str]
    training_file_id: uuid.UUID
    training_file_name: str
    preset: str
    model: ModelRef
    lora: LoraSettings
    hyperparameters: Hyperparameters
    gpu_type: str
    pricing: Pricing
    gpu_count: int = 1
    status: JobStatus
    status_message: str
    attempt: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    adapter_key: str | None
    error: JobFailure | None
    estimate: dict | None
    parent_job_id: uuid.UUID | None = None
    interruption_history: InterruptionHistory | None = None  # UJ4.1.2; None: never interrupted
    lineage: Lineage | None = None  # a retry or resume: its parent and what changed
    gpu_wait: GpuWait | None = None  # UJ2.1.2: once provisioning found no GPU to rent
    validation: ValidationPlan | None = None  # stage 5's plan; None on jobs from before it
    training_set_id: uuid.UUID | None = None  # set when it trains on a training set (issue 17)
    validation_rerun: ValidationRerun | None = None  # issue 12: the latest that needed an instance


class JobDetail(JobView, frozen=True, kw_only=True):
    """GET /jobs/{id}: the job with monitoring's progress (step, percent, elapsed, remaining)."""

    progress: ProgressView


class RetryJob(msgspec.Struct, frozen=True, kw_only=True):
    """UJ4.2.2: a new job from a failed/cancelled one, the suggested fix applied (or not)."""

    subject: ClassVar[str] = "rpc.jobs.retry_job"
    job_id: uuid.UUID
    apply_suggested: bool = True
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    pricing: Pricing | None = None
    gpu_type: str | None = None
    name: str | None = None
    dry_run: bool = False  # answer the plan, its diff and its estimate; create nothing


class ResumeJob(msgspec.Struct, frozen=True, kw_only=True):
    """UJ4.3.2: a new job continuing a failed/cancelled one from one of its checkpoints."""

    subject: ClassVar[str] = "rpc.jobs.resume_job"
    job_id: uuid.UUID
    checkpoint_step: int | None = None  # None: the newest
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    pricing: Pricing | None = None
    gpu_type: str | None = None
    name: str | None = None
    dry_run: bool = False  # the plan and the estimate for the steps left; create nothing
