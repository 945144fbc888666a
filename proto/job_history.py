"""What the jobs service answers about this installation's finished jobs (UJ1.2.1, UJ1.2.2,
UJ2.1.2): rates and GPU return times, each with the count it rests on, and the presets with
their success rate here. services/jobs/history.py computes them."""

from __future__ import annotations

import msgspec

from proto.presets import Preset


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    rate_pct: int | None  # None: no history yet
    part: int
    count: int
    text: str


class ReturnTime(msgspec.Struct, frozen=True, kw_only=True):
    median_s: float | None  # None: no history yet
    count: int
    text: str


class GpuHistory(msgspec.Struct, frozen=True, kw_only=True):
    """One GPU type here: its spot interruption rate and, per pricing ("spot", "on_demand"),
    how long a GPU took to come back after none was free."""

    spot_interruption: Rate
    gpu_return: dict[str, ReturnTime]


class JobHistoryView(msgspec.Struct, frozen=True, kw_only=True):
    """GetJobHistory's answer."""

    spot_interruption: Rate  # every GPU type
    pricing_success: dict[str, Rate]  # "spot" | "on_demand"
    gpu_types: dict[str, GpuHistory]
    unknown_gpu: GpuHistory  # what a type with no jobs here yet shows


class PresetView(Preset, frozen=True, kw_only=True):
    """ListPresets' answer: a preset with its success rate here ("92% of 25 finished jobs")."""

    success: Rate
