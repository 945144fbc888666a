"""UJ2.1.2: a job waiting for a GPU goes on as the user chooses, in one call:
`POST /jobs/{id}/gpu-choice` with `auto_retry`, `on_demand` or `cancel`."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency

from proto.jobs import ChooseGpuOption, GpuChoice, JobView
from services.gateway.bus import GatewayBus


class GpuChoiceBody(msgspec.Struct, frozen=True, kw_only=True):
    choice: GpuChoice


class GpuChoicesController(Controller):
    path = "/jobs"
    tags = ["jobs"]

    @post("/{job_id:uuid}/gpu-choice", status_code=200)
    async def choose(self, job_id: uuid.UUID, data: GpuChoiceBody,
                     bus: NamedDependency[GatewayBus]) -> JobView:
        """Retry automatically (every 5 minutes, up to 1 hour), switch to on-demand (starts
        now), or cancel; the choice is recorded in the job's `gpu_wait` and its event log."""
        return await bus.ask(ChooseGpuOption(job_id=job_id, choice=data.choice), JobView)
