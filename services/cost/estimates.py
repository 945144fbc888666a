"""An estimate as the user asks for it (UJ1.2.2, UJ1.2.3): the configuration form asks on every
change and shows the answer in under 100 ms, so what the estimate needs from other services is
kept here in memory. A training file's stats never change once it is registered; RunPod's prices
are kept a minute and never waited on (without an answer in time, the catalogue prices stand)."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict
from typing import Any

import msgspec
from faststream.nats import NatsBroker

from libs.common.bus import call
from proto.cost import EstimateJob, EstimateRequest
from proto.jobs import GetTrainingFile
from proto.provisioning import GetGpuPrices

log = logging.getLogger(__name__)


class FileStats(msgspec.Struct, frozen=True, kw_only=True):
    """The part of a training file's stats (services/jobs) an estimate counts."""

    estimated_tokens: int
    usable_pair_count: int
    sequence_count: int = 0
    packed_host_tokens: list[int] = []


class TrainingFiles:
    """Stats by training file id, asked of the jobs service once per file."""

    def __init__(self, broker: NatsBroker, size: int = 1024) -> None:
        self.broker, self.size = broker, size
        self._stats: OrderedDict[uuid.UUID, FileStats] = OrderedDict()

    async def stats(self, training_file_id: uuid.UUID) -> FileStats:
        if (known := self._stats.get(training_file_id)) is not None:
            self._stats.move_to_end(training_file_id)
            return known
        answer = await call(self.broker, GetTrainingFile(training_file_id=training_file_id))
        stats = msgspec.convert(answer["stats"], FileStats)
        self._stats[training_file_id] = stats
        if len(self._stats) > self.size:
            self._stats.popitem(last=False)
        return stats


class LivePrices:
    """RunPod's prices as provisioning serves them, kept `ttl_s`: one refresh at a time, and a
    failed one (no RunPod provider configured, or it is slow) is retried after the TTL."""

    def __init__(self, broker: NatsBroker, ttl_s: float = 60.0, wait_s: float = 1.0) -> None:
        self.broker, self.ttl_s, self.wait_s = broker, ttl_s, wait_s
        self._answer: dict[str, Any] | None = None
        self._at = -math.inf

    async def row(self, gpu_type: str) -> dict[str, Any]:
        """The EstimateRequest price fields for `gpu_type`; {} for the catalogue's."""
        if gpu_type == "cpu":
            return {}
        if time.monotonic() - self._at > self.ttl_s:
            self._at = time.monotonic()
            try:
                self._answer = await call(self.broker, GetGpuPrices(), self.wait_s,
                                          wait_for_service=False)
            except Exception as exc:
                log.info("estimates use catalogue GPU prices: %s", exc)
        answer = self._answer or {}
        row = next((r for r in answer.get("gpu_types", []) if r["gpu_type"] == gpu_type), None)
        if row is None or row["spot_cents_per_hour"] is None or row["on_demand_cents_per_hour"] is None:
            return {}
        return {"spot_cents_per_hour": row["spot_cents_per_hour"],
                "on_demand_cents_per_hour": row["on_demand_cents_per_hour"],
                "price_notice": answer.get("notice") or ""}


async def request_for(q: EstimateJob, files: TrainingFiles, prices: LivePrices) -> EstimateRequest:
    """The cost model's input: the job's configuration, its file's stats, the current prices."""
    stats = await files.stats(q.training_file_id)
    return EstimateRequest(
        estimated_tokens=stats.estimated_tokens, usable_pairs=stats.usable_pair_count,
        sequences=stats.sequence_count, packed_host_tokens=stats.packed_host_tokens,
        preset=q.preset, overrides=q.overrides, gpu_type=q.gpu_type, pricing=q.pricing,
        model_parameter_count=q.model.parameter_count, model_name=q.model.name,
        resume_from_step=q.resume_from_step, gpu_count=q.gpu_count,
        **await prices.row(q.gpu_type))

