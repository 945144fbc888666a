"""Presets (UJ1.2.1) and cost/time estimates (UJ1.2.2, UJ1.2.3)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency

from proto.cost import EstimateRequest
from proto.jobs import GetTrainingFile, HyperparameterOverrides, ListPresets
from proto.training import ModelRef
from services.gateway.bus import GatewayBus


class EstimateBody(msgspec.Struct, frozen=True, kw_only=True):
    training_file_id: uuid.UUID
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    model: ModelRef = msgspec.field(default_factory=ModelRef)


async def estimate_for(bus: NamedDependency[GatewayBus], body: Any, resume_from_step: int = 0
                       ) -> dict[str, Any]:
    training_file = await bus.ask(GetTrainingFile(training_file_id=body.training_file_id))
    stats = training_file["stats"]
    return await bus.ask(EstimateRequest(
        estimated_tokens=stats["estimated_tokens"], usable_pairs=stats["usable_pair_count"],
        preset=body.preset, overrides=body.overrides, gpu_type=body.gpu_type,
        pricing=body.pricing, model_parameter_count=body.model.parameter_count,
        resume_from_step=resume_from_step,
    ))


class EstimatesController(Controller):
    path = "/"
    tags = ["configuration"]

    @get("/presets")
    async def presets(self, bus: NamedDependency[GatewayBus]) -> list[dict[str, Any]]:
        """The three presets; Balanced is the default."""
        return await bus.ask(ListPresets())

    @post("/estimates", status_code=200)
    async def estimate(self, data: EstimateBody, bus: NamedDependency[GatewayBus]) -> dict[str, Any]:
        """Duration and cost range for a configuration, spot and on-demand."""
        return await estimate_for(bus, data)
