"""Presets (UJ1.2.1) and cost/time estimates (UJ1.2.2, UJ1.2.3): HTTP in front of the cost
service, which assembles each estimate (services/cost/estimates.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency

from proto.cost import Estimate, EstimateJob
from proto.jobs import HyperparameterOverrides, ListPresets
from proto.training import ModelRef
from services.gateway.bus import GatewayBus


class EstimateBody(msgspec.Struct, frozen=True, kw_only=True):
    training_file_id: uuid.UUID
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    model: ModelRef = msgspec.field(default_factory=ModelRef)


async def estimate_for(bus: GatewayBus, body: Any, resume_from_step: int = 0) -> dict[str, Any]:
    """The cost service's estimate for `body`: any struct with EstimateBody's fields (a job's
    creation body too)."""
    fields = {name: getattr(body, name) for name in EstimateBody.__struct_fields__}
    return await bus.ask(EstimateJob(**fields, resume_from_step=resume_from_step))


class EstimatesController(Controller):
    path = "/"
    tags = ["configuration"]

    @get("/presets")
    async def presets(self, bus: NamedDependency[GatewayBus]) -> list[dict[str, Any]]:
        """The three presets; Balanced is the default."""
        return await bus.ask(ListPresets())

    @post("/estimates", status_code=200)
    async def estimate(self, data: EstimateBody, bus: NamedDependency[GatewayBus]) -> Estimate:
        """Duration and cost range for a configuration, spot and on-demand."""
        return msgspec.convert(await estimate_for(bus, data), Estimate)
