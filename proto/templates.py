"""Configuration templates (UJ6.4.2): a finished job's settings, saved under a name to start
new jobs from. Owned by the jobs service; queries and commands under `rpc.jobs.*`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.jobs import HyperparameterOverrides, Pricing
from proto.training import Hyperparameters, LoraSettings, ModelRef

Visibility = Literal["private", "team"]
TemplateName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
TemplateTag = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class SaveTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """Save a job's hyperparameters, LoRA, model and GPU settings as a named template."""

    subject: ClassVar[str] = "rpc.jobs.save_template"
    job_id: uuid.UUID
    name: TemplateName
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    tags: Annotated[list[TemplateTag], msgspec.Meta(max_length=10)] = msgspec.field(
        default_factory=list)
    visibility: Visibility = "private"


class ListTemplates(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_templates"
    tag: str | None = None
    limit: int = 100


class GetTemplate(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.get_template"
    template_id: uuid.UUID


class DeleteTemplate(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.delete_template"
    template_id: uuid.UUID


class ApplyTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """A new job's settings from a template, with what the request set explicitly on top
    (None: not given, the template's value stands)."""

    subject: ClassVar[str] = "rpc.jobs.apply_template"
    template_id: uuid.UUID
    preset: str | None = None
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str | None = None
    pricing: Pricing | None = None
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] | None = None
    model: ModelRef | None = None


class TemplateSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What `ApplyTemplate` answers: the CreateJob fields a template decides."""

    template_id: uuid.UUID
    preset: str
    overrides: HyperparameterOverrides
    gpu_type: str
    pricing: Pricing
    gpu_count: int
    model: ModelRef


class TemplateView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    description: str
    tags: list[str]
    visibility: Visibility
    source_job_id: uuid.UUID | None
    source_job_name: str
    preset: str
    model: ModelRef
    lora: LoraSettings
    hyperparameters: Hyperparameters
    gpu_type: str
    pricing: Pricing
    gpu_count: int
    created_at: datetime


class TemplateDeleted(msgspec.Struct, frozen=True, kw_only=True):
    """DeleteTemplate's answer."""

    id: uuid.UUID
    deleted: bool
