"""Presets (UJ1.2.1) and cost/time estimates (UJ1.2.2, UJ1.2.3)."""

from __future__ import annotations

import logging
import math
import time
import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency

from libs.common.bus import call
from proto.cost import EstimateRequest
from proto.jobs import GetTrainingFile, HyperparameterOverrides, ListPresets
from proto.provisioning import GetGpuPrices
from proto.training import ModelRef
from services.gateway.bus import GatewayBus

log = logging.getLogger(__name__)


class EstimateBody(msgspec.Struct, frozen=True, kw_only=True):
    training_file_id: uuid.UUID
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    model: ModelRef = msgspec.field(default_factory=ModelRef)


async def estimate_for(bus: NamedDependency[GatewayBus], body: Any, resume_from_step: int = 0
                       ) -> dict[str, Any]:
    training_file = await bus.ask(GetTrainingFile(training_file_id=body.training_file_id))
    stats = training_file["stats"]
    prices = await PRICES.row(bus, body.gpu_type)
    return await bus.ask(EstimateRequest(
        estimated_tokens=stats["estimated_tokens"], usable_pairs=stats["usable_pair_count"],
        sequences=stats.get("sequence_count", 0),
        packed_host_tokens=stats.get("packed_host_tokens", []),
        preset=body.preset, overrides=body.overrides, gpu_type=body.gpu_type,
        pricing=body.pricing, model_parameter_count=body.model.parameter_count,
        model_name=body.model.name,
        resume_from_step=resume_from_step, gpu_count=body.gpu_count, **prices,
    ))


class LivePrices:
    """RunPod's prices as provisioning serves them, kept here a minute: an estimate is asked on
    every keystroke of the configuration form and must stay well under 100 ms, so it never waits
    on RunPod; with no answer in time, the cost service's catalogue prices stand."""

    def __init__(self, ttl_s: float = 60.0, wait_s: float = 1.0) -> None:
        self.ttl_s, self.wait_s = ttl_s, wait_s
        self._answer: dict[str, Any] | None = None
        self._at = -math.inf

    async def row(self, bus: GatewayBus, gpu_type: str) -> dict[str, Any]:
        if gpu_type == "cpu":
            return {}
        if time.monotonic() - self._at > self.ttl_s:
            self._at = time.monotonic()  # one refresh at a time; failures retry after the TTL
            try:
                self._answer = await call(bus.broker, GetGpuPrices(), self.wait_s,
                                          wait_for_service=False)
            except Exception as exc:  # no RunPod provider configured, or it is slow: catalogue
                log.info("estimates use catalogue GPU prices: %s", exc)
        rows = (self._answer or {}).get("gpu_types", [])
        row = next((r for r in rows if r["gpu_type"] == gpu_type), None)
        if row is None or row["spot_cents_per_hour"] is None or row["on_demand_cents_per_hour"] is None:
            return {}
        return {"spot_cents_per_hour": row["spot_cents_per_hour"],
                "on_demand_cents_per_hour": row["on_demand_cents_per_hour"],
                "price_notice": self._answer.get("notice") or ""}


PRICES = LivePrices()


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
