"""Retry (UJ4.2.2) and resume from a checkpoint (UJ4.3.2): each makes a new job linked to the
failed or cancelled one. `dry_run` answers the plan, its diff and its fresh estimate, for the
confirmation step; the checkpoints a resume can start from are listed for the resume dialog."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency

from proto.cost import EstimateQuery
from proto.jobs import GetJob, HyperparameterOverrides, ListCheckpoints, ResumeJob, RetryJob
from proto.training import ModelRef
from services.gateway.bus import GatewayBus
from services.gateway.estimates import estimate_for
from services.gateway.jobs import reserved


class RetryBody(msgspec.Struct, frozen=True, kw_only=True):
    apply_suggested: bool = True  # the failure's suggested change, e.g. batch_size 4 → 2
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    pricing: Literal["spot", "on_demand"] | None = None
    gpu_type: str | None = None
    name: str | None = None
    dry_run: bool = False


class ResumeBody(msgspec.Struct, frozen=True, kw_only=True):
    checkpoint_step: int | None = None  # default: the newest valid checkpoint
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    pricing: Literal["spot", "on_demand"] | None = None
    gpu_type: str | None = None
    name: str | None = None
    dry_run: bool = False


async def _fresh_estimate(bus: GatewayBus, job_id: uuid.UUID, plan: dict[str, Any]
                          ) -> dict[str, Any]:
    """The estimate for the new configuration; for a resume, for the steps left after its
    checkpoint (UJ4.3.2)."""
    parent = await bus.ask(GetJob(job_id=job_id))
    fields = set(HyperparameterOverrides.__struct_fields__)
    settings = {**plan["hyperparameters"], **plan["lora"]}
    body = EstimateQuery(
        training_file_id=uuid.UUID(parent["training_file_id"]), preset=parent["preset"],
        overrides=msgspec.convert({k: v for k, v in settings.items() if k in fields},
                                  HyperparameterOverrides),
        gpu_type=plan["gpu_type"], gpu_count=parent["gpu_count"], pricing=plan["pricing"],
        model=msgspec.convert(parent["model"], ModelRef))
    return await estimate_for(bus, body, resume_from_step=plan.get("checkpoint_step") or 0)


async def _plan_then_create(bus: GatewayBus, job_id: uuid.UUID, request: Any,
                            dry_run: bool) -> Response:
    plan = await bus.ask(msgspec.structs.replace(request, dry_run=True))
    estimate = await _fresh_estimate(bus, job_id, plan)
    if dry_run:  # UJ4.3.2: the dialog shows what the steps left will take and cost
        return Response({**plan, "estimate": estimate}, status_code=200)
    # UJ6.3.2: a linked job is a new job, refused like one when its estimate does not fit the
    # month's budget or what its parents left of the per-job cap, and held like one.
    created = await reserved(
        bus, estimate, request.name or "",
        lambda reservation_id: bus.ask(msgspec.structs.replace(
            request, estimate=estimate, reservation_id=reservation_id)),
        parent_job_id=job_id)
    return Response(created, status_code=201)


class JobRecoveryController(Controller):
    path = "/jobs"
    tags = ["jobs"]

    @get("/{job_id:uuid}/checkpoints")
    async def checkpoints(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]
                          ) -> list[dict[str, Any]]:
        """The complete checkpoints a resume can start from, oldest first: [{"step", "key"}]."""
        return await bus.ask(ListCheckpoints(job_id=job_id))

    @post("/{job_id:uuid}/retry")
    async def retry(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                    data: RetryBody | None = None) -> Response:
        """A new job from a failed or cancelled one with the suggested fix applied; its
        `lineage.changes` is the diff and its notes say "Retry of <job> with …"."""
        body = data or RetryBody()
        request = RetryJob(job_id=job_id, **msgspec.structs.asdict(body))
        return await _plan_then_create(bus, job_id, request, body.dry_run)

    @post("/{job_id:uuid}/resume")
    async def resume(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                     data: ResumeBody | None = None) -> Response:
        """A new job continuing a failed or cancelled one from a checkpoint (newest by default),
        validated against its checksum manifest first; the estimate covers the work left."""
        body = data or ResumeBody()
        request = ResumeJob(job_id=job_id, **msgspec.structs.asdict(body))
        return await _plan_then_create(bus, job_id, request, body.dry_run)
