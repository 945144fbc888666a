"""OpenAI's object shapes, as /v1 answers them: File, FineTuningJob, Model and the list page
(https://platform.openai.com/docs/api-reference). A wire-format translation layer of the
gateway's, not our contract: shapes.py fills them from our files and jobs."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class FileObject(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # file-…
    object: Literal["file"] = "file"
    bytes: int
    created_at: int  # unix seconds
    filename: str
    purpose: str
    status: str
    expires_at: int | None = None
    status_details: str | None = None  # why the file cannot train, when it cannot


class FilePage(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    data: list[FileObject]
    has_more: bool
    first_id: str | None
    last_id: str | None


class FineTuningHyperparameters(msgspec.Struct, frozen=True, kw_only=True):
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float


class SupervisedMethod(msgspec.Struct, frozen=True, kw_only=True):
    hyperparameters: FineTuningHyperparameters


class FineTuningMethod(msgspec.Struct, frozen=True, kw_only=True):
    type: Literal["supervised"] = "supervised"
    supervised: SupervisedMethod


class FineTuningError(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    param: str | None = None


class FineTuningJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # ftjob-…
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    created_at: int
    finished_at: int | None
    model: str
    fine_tuned_model: str | None
    organization_id: str
    result_files: list[str]
    status: Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
    training_file: str
    validation_file: str | None
    hyperparameters: FineTuningHyperparameters
    method: FineTuningMethod
    seed: int
    trained_tokens: int | None
    estimated_finish: int | None
    error: FineTuningError | None
    integrations: list[dict[str, Any]]
    metadata: dict[str, str] | None


class FineTuningJobPage(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    data: list[FineTuningJob]
    has_more: bool
    first_id: str | None
    last_id: str | None


class Model(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: Literal["model"] = "model"
    created: int  # unix seconds; 0 for a base model we did not train
    owned_by: str


class ModelList(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    data: list[Model]


class FineTuningJobEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # ftevent-…
    object: Literal["fine_tuning.job.event"] = "fine_tuning.job.event"
    created_at: int
    level: Literal["info", "warn", "error"]
    message: str
    data: dict[str, Any]  # metrics events: OpenAI's metric names; the others our event's payload
    type: Literal["message", "metrics"]


class FineTuningJobEventPage(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    data: list[FineTuningJobEvent]
    has_more: bool
    first_id: str | None
    last_id: str | None


class FineTuningJobCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # ftckpt-…
    object: Literal["fine_tuning.job.checkpoint"] = "fine_tuning.job.checkpoint"
    created_at: int
    fine_tuned_model_checkpoint: str
    fine_tuning_job_id: str
    step_number: int
    metrics: dict[str, Any]  # step, train_loss, valid_loss (None where not measured)


class FineTuningJobCheckpointPage(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    data: list[FineTuningJobCheckpoint]
    has_more: bool
    first_id: str | None
    last_id: str | None
