"""What an OpenAI client sends to create a fine-tuning job, and how it becomes our CreateJob.

OpenAI's knobs map onto the Balanced preset: `n_epochs` → epochs, `batch_size` →
micro_batch_size with gradient accumulation 1, `learning_rate_multiplier` × the preset's
learning rate; "auto" (or leaving one out) keeps the preset's value. Our own knobs travel as
`extra_body={"brightrun": {...}}` (the Bright Run extension): a preset, any /api/v1 override
(max_steps, max_seq_len, checkpoint_every_steps, LoRA rank …), GPU, pricing, tags and the
validation plan."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec

from proto.jobs import HyperparameterOverrides, Tag
from proto.presets import PRESETS
from proto.validation import ValidationPlan
from services.gateway.jobs import CreateJobBody
from services.gateway.openai_api import ids
from services.gateway.openai_api.errors import OpenAIError
from services.gateway.openai_api.shapes import MODELS

Auto = Literal["auto"]


class OpenAIHyperparameters(msgspec.Struct, frozen=True, kw_only=True):
    n_epochs: int | Auto = "auto"
    batch_size: int | Auto = "auto"
    learning_rate_multiplier: float | Auto = "auto"


class Supervised(msgspec.Struct, frozen=True, kw_only=True):
    hyperparameters: OpenAIHyperparameters | None = None


class Method(msgspec.Struct, frozen=True, kw_only=True):
    type: str = "supervised"
    supervised: Supervised | None = None


class BrightRunExtension(msgspec.Struct, frozen=True, kw_only=True):
    """`extra_body={"brightrun": {...}}`: what /api/v1's create takes beyond OpenAI's fields.
    Its `overrides` win over the OpenAI hyperparameters they overlap."""

    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    tags: list[Tag] = msgspec.field(default_factory=list)
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    validation: ValidationPlan | None = None


class CreateFineTuningJob(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    training_file: str
    validation_file: str | None = None
    hyperparameters: OpenAIHyperparameters | None = None
    method: Method | None = None
    suffix: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None
    brightrun: BrightRunExtension = msgspec.field(default_factory=BrightRunExtension)


def model_ref(name: str) -> Any:
    if name not in MODELS:
        raise OpenAIError(400, f"The model {name!r} does not exist or cannot be fine-tuned here. "
                          f"How to fix: choose one of {', '.join(sorted(MODELS))}.",
                          param="model", code="model_not_available")
    return MODELS[name]


def _hyperparameters(body: CreateFineTuningJob) -> OpenAIHyperparameters:
    if body.method is not None and body.method.type != "supervised":
        raise OpenAIError(400, f"method.type {body.method.type!r} is not supported here. How to "
                          "fix: use 'supervised' (LoRA supervised fine-tuning).",
                          param="method.type", code="unsupported_method")
    nested = body.method and body.method.supervised and body.method.supervised.hyperparameters
    return nested or body.hyperparameters or OpenAIHyperparameters()


def overrides(body: CreateFineTuningJob) -> HyperparameterOverrides:
    """OpenAI's hyperparameters as ours, then the extension's overrides on top."""
    given = _hyperparameters(body)
    preset = PRESETS.get(body.brightrun.preset)
    ours: dict[str, Any] = {}
    if given.n_epochs != "auto":
        ours["epochs"] = given.n_epochs
    if given.batch_size != "auto":
        ours.update(micro_batch_size=given.batch_size, grad_accumulation=1)
    if given.learning_rate_multiplier != "auto" and preset is not None:
        ours["learning_rate"] = preset.hyperparameters.learning_rate * given.learning_rate_multiplier
    if body.seed is not None:
        ours["seed"] = body.seed
    extension = msgspec.structs.asdict(body.brightrun.overrides)
    ours.update({k: v for k, v in extension.items() if v is not None})
    return msgspec.convert(ours, HyperparameterOverrides)


def create_job_body(body: CreateFineTuningJob) -> CreateJobBody:
    training_file = ids.from_openai(ids.FILE, body.training_file, "training_file")
    if body.validation_file is not None and \
            ids.from_openai(ids.FILE, body.validation_file, "validation_file") != training_file:
        raise OpenAIError(400, "A separate validation file is not supported yet: the trainer "
                          "holds out 20% of the training file's conversations and reports "
                          "validation loss on them. How to fix: leave validation_file out.",
                          param="validation_file", code="unsupported_validation_file")
    ext, model = body.brightrun, model_ref(body.model)
    return CreateJobBody(
        training_file_id=uuid.UUID(str(training_file)), preset=ext.preset,
        overrides=overrides(body), name=body.suffix, model=model,
        gpu_type=ext.gpu_type, pricing=ext.pricing, gpu_count=ext.gpu_count, tags=ext.tags,
        description=ext.description, validation=ext.validation)
