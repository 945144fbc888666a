"""Retry (UJ4.2.2) and resume from a checkpoint (UJ4.3.2): each makes a new job linked to the
failed or cancelled one. `dry_run` answers the plan, its diff and its fresh estimate, for the
confirmation step; the checkpoints a resume can start from are listed for the resume dialog."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency

from proto.jobs import HyperparameterOverrides, ListCheckpoints, ResumeJob, RetryJob
from services.gateway.bus import GatewayBus


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


async def _answered(bus: GatewayBus, request: RetryJob | ResumeJob) -> Response:
    """The jobs service plans, estimates (cost service), reserves and creates (issue 15); a dry
    run answers the plan with its estimate (UJ4.3.2: what the steps left take and cost)."""
    return Response(await bus.ask(request), status_code=200 if request.dry_run else 201)


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
        return await _answered(bus, request)

    @post("/{job_id:uuid}/resume")
    async def resume(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                     data: ResumeBody | None = None) -> Response:
        """A new job continuing a failed or cancelled one from a checkpoint (newest by default),
        validated against its checksum manifest first; the estimate covers the work left."""
        body = data or ResumeBody()
        request = ResumeJob(job_id=job_id, **msgspec.structs.asdict(body))
        return await _answered(bus, request)
