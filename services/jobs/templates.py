"""Configuration templates (UJ6.4.2): save a completed job's settings under a name, and start
new jobs from them. The rules first (no I/O, tests/unit/test_templates_domain.py), then the
handlers."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from proto.api import ServiceError
from proto.jobs import HyperparameterOverrides
from proto.templates import (
    ApplyTemplate,
    DeleteTemplate,
    GetTemplate,
    ListTemplates,
    SaveTemplate,
    TemplateSettings,
    TemplateView,
)
from proto.training import ModelRef
from services.jobs.repository import Jobs
from services.jobs.template_repository import Templates

# What a template decides for a new job besides its hyperparameters.
JOB_SETTINGS = ("gpu_type", "pricing", "gpu_count")
OVERRIDABLE = tuple(HyperparameterOverrides.__struct_fields__)


# --- rules ---------------------------------------------------------------------------------------


def template_row(job: dict[str, Any], cmd: SaveTemplate) -> dict[str, Any]:
    """A template from a job: a copy of its settings, so the job may change or go without
    changing the template."""
    if job["status"] != "completed":
        raise ServiceError(
            "job_not_completed", f"Job {job['name']!r} is {job['status']}: only a completed "
            "job's configuration can be saved as a template.",
            "Wait for the job to complete, or save a template from a completed job.",
            {"status": job["status"]}, 409)
    return {
        "id": uuid.uuid4(), "name": cmd.name.strip(), "description": cmd.description.strip(),
        "tags": list(dict.fromkeys(t.strip() for t in cmd.tags if t.strip())),
        "visibility": cmd.visibility, "source_job_id": job["id"], "source_job_name": job["name"],
        "preset": job["preset"], "model": job["model"], "lora": job["lora"],
        "hyperparameters": job["hyperparameters"],
        **{k: job[k] for k in JOB_SETTINGS},
    }


def name_taken(name: str, existing: dict[str, Any]) -> ServiceError:
    """UJ6.4.2: a duplicate name is refused (not renamed, unlike a job's): a template is picked
    by its name, so two alike would be a trap."""
    return ServiceError(
        "template_name_taken", f"A template named {existing['name']!r} already exists.",
        f"Choose a unique name (for example {name.strip() + ' v2'!r}), or delete the existing "
        "template first.", {"name": name, "existing_template_id": str(existing["id"])}, 409)


def apply(template: dict[str, Any], cmd: ApplyTemplate) -> TemplateSettings:
    """The template's settings with what the request gave explicitly on top. Every overridable
    hyperparameter is carried as an override, so the new job trains with the template's values
    even if its preset's defaults change later; the rest (warm-up, seed, target modules) come
    from the preset, as they did for the job it was saved from."""
    saved = {**template["lora"], **template["hyperparameters"]}
    given = {k: v for k, v in msgspec.structs.asdict(cmd.overrides).items() if v is not None}
    overrides = {k: saved[k] for k in OVERRIDABLE if k in saved} | given
    return TemplateSettings(
        template_id=template["id"], preset=cmd.preset or template["preset"],
        overrides=msgspec.convert(overrides, HyperparameterOverrides),
        gpu_type=cmd.gpu_type or template["gpu_type"],
        pricing=cmd.pricing or template["pricing"],
        gpu_count=cmd.gpu_count or template["gpu_count"],
        model=cmd.model or msgspec.convert(template["model"], ModelRef),
    )


def view(row: dict[str, Any]) -> TemplateView:
    return msgspec.convert(row, TemplateView)


# --- handlers ------------------------------------------------------------------------------------


async def save_template(cmd: SaveTemplate, uow: UnitOfWork) -> TemplateView:
    async with uow() as work:
        job = await Jobs(work.conn).view(cmd.job_id)
        if job is None:
            raise ServiceError.not_found("job", cmd.job_id)
        templates = Templates(work.conn)
        row = template_row(job, cmd)
        if not await templates.add(row):
            existing = await templates.named(row["name"])
            raise name_taken(row["name"], existing or {"name": row["name"], "id": ""})
        return view(await templates.get(row["id"]))


async def list_templates(q: ListTemplates, uow: UnitOfWork) -> list[TemplateView]:
    async with uow() as work:
        rows = await Templates(work.conn).list(q.tag, min(max(q.limit, 1), 500))
    return [view(r) for r in rows]


async def get_template(q: GetTemplate, uow: UnitOfWork) -> TemplateView:
    async with uow() as work:
        row = await Templates(work.conn).get(q.template_id)
    if row is None:
        raise ServiceError.not_found("template", q.template_id)
    return view(row)


async def delete_template(cmd: DeleteTemplate, uow: UnitOfWork) -> dict[str, Any]:
    async with uow() as work:
        if not await Templates(work.conn).delete(cmd.template_id):
            raise ServiceError.not_found("template", cmd.template_id)
    return {"id": cmd.template_id, "deleted": True}


async def apply_template(cmd: ApplyTemplate, uow: UnitOfWork) -> TemplateSettings:
    async with uow() as work:
        row = await Templates(work.conn).get(cmd.template_id)
    if row is None:
        raise ServiceError.not_found("template", cmd.template_id)
    return apply(row, cmd)
