"""Presets (UJ1.2.1) and cost/time estimates (UJ1.2.2, UJ1.2.3): HTTP in front of the cost
service, which assembles each estimate (services/cost/estimates.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency

from proto.cost import Estimate, EstimateJob, EstimateQuery
from proto.job_history import PresetView
from proto.jobs import ListPresets
from services.gateway.bus import GatewayBus


async def estimate_for(bus: GatewayBus, body: Any, resume_from_step: int = 0) -> dict[str, Any]:
    """The cost service's estimate for `body`: any struct with EstimateQuery's fields (a job's
    creation body too)."""
    fields = {name: getattr(body, name) for name in EstimateQuery.__struct_fields__}
    return await bus.ask(EstimateJob(**fields, resume_from_step=resume_from_step))


class EstimatesController(Controller):
    path = "/"
    tags = ["configuration"]

    @get("/presets")
    async def presets(self, bus: NamedDependency[GatewayBus]) -> list[PresetView]:
        """The three presets, each with its success rate here; Balanced is the default."""
        return await bus.ask(ListPresets(), list[PresetView])

    @post("/estimates", status_code=200)
    async def estimate(self, data: EstimateQuery, bus: NamedDependency[GatewayBus]) -> Estimate:
        """Duration and cost range for a configuration, spot and on-demand."""
        return msgspec.convert(await estimate_for(bus, data), Estimate)
