"""Configuration templates (UJ6.4.2): save a completed job's settings, list, show, delete.
Starting a job from one is `POST /api/v1/jobs` with `template_id` (jobs.py, `with_template`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency

from proto.templates import (
    ApplyTemplate,
    DeleteTemplate,
    GetTemplate,
    ListTemplates,
    SaveTemplate,
    TemplateDeleted,
    TemplateName,
    TemplateTag,
    TemplateView,
    Visibility,
)
from services.gateway.bus import GatewayBus

# The CreateJob fields a template decides; a request that names one explicitly overrides it.
TEMPLATE_FIELDS = ("preset", "overrides", "gpu_type", "pricing", "gpu_count", "model")


class TemplateBody(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    name: TemplateName
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    tags: Annotated[list[TemplateTag], msgspec.Meta(max_length=10)] = msgspec.field(
        default_factory=list)
    visibility: Visibility = "private"


class TemplatesController(Controller):
    path = "/templates"
    tags = ["templates"]

    @post("/", status_code=201)
    async def save(self, data: TemplateBody, bus: NamedDependency[GatewayBus]) -> TemplateView:
        """Save a completed job's hyperparameters, LoRA, model and GPU settings; a name already
        taken answers 409."""
        return await bus.ask(SaveTemplate(**msgspec.structs.asdict(data)), TemplateView)

    @get("/")
    async def list_templates(self, bus: NamedDependency[GatewayBus], tag: str | None = None,
                             limit: int = 100) -> list[TemplateView]:
        return await bus.ask(ListTemplates(tag=tag, limit=limit), list[TemplateView])

    @get("/{template_id:uuid}")
    async def get_template(self, template_id: uuid.UUID,
                           bus: NamedDependency[GatewayBus]) -> TemplateView:
        return await bus.ask(GetTemplate(template_id=template_id), TemplateView)

    @delete("/{template_id:uuid}", status_code=200)
    async def delete_template(self, template_id: uuid.UUID,
                              bus: NamedDependency[GatewayBus]) -> TemplateDeleted:
        return await bus.ask(DeleteTemplate(template_id=template_id), TemplateDeleted)


async def with_template(bus: GatewayBus, data: Any, request: Request) -> Any:
    """`data` (a CreateJobBody) with its template's settings, the fields the request named
    explicitly on top; the jobs service merges them (ApplyTemplate)."""
    raw = await request.json()
    explicit = {k: getattr(data, k) for k in TEMPLATE_FIELDS if isinstance(raw, dict) and k in raw}
    settings = await bus.ask(ApplyTemplate(template_id=data.template_id, **explicit))
    settings.pop("template_id", None)
    return msgspec.convert({**msgspec.to_builtins(data), **settings}, type(data))
