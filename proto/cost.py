"""Cost service: estimates before a job starts (UJ1.2.2, UJ1.2.3)."""

from __future__ import annotations

from typing import ClassVar, Literal

import msgspec

from proto.jobs import HyperparameterOverrides


class EstimateRequest(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.cost.estimate"
    estimated_tokens: int
    usable_pairs: int
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    model_parameter_count: int = 135_000_000


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    gpu_type: str
    pricing: str
    hourly_rate_cents: int
    duration_s_low: int
    duration_s_high: int
    cost_cents_low: int
    cost_cents_high: int
    spot_cost_cents_high: int
    on_demand_cost_cents_high: int
    total_steps: int
    tokens_to_train: int
    accuracy_note: str = "±15% based on historical data"
    warnings: list[str] = msgspec.field(default_factory=list)
