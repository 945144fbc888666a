"""GPU prices and availability from RunPod: cached in memory for a TTL, the last-known copy kept
in the provisioning schema, served marked `stale` with a notice while RunPod cannot be reached."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from libs.common.outbox import UnitOfWork
from proto.api import ServiceError
from proto.gpu import RUNPOD_GPU_IDS
from services.provisioning.runpod_provider import ProviderError, RunPodProvider

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE_S = 30.0  # a down API is asked again this often, not on every request
LOCAL_PRICES = [{"gpu_type": "cpu", "runpod_id": "", "display_name": "This machine's CPU",
                 "memory_gb": 0, "spot_cents_per_hour": 0, "on_demand_cents_per_hour": 0,
                 "available": True}]


def local_rows(simulated: bool) -> list[dict[str, Any]]:
    """The local provider's list (UJ1.2.2): this CPU, and the GPU types a RunPod install offers,
    unpriced (estimates then use list prices) and not free to rent here, unless GPU jobs are
    simulated on this machine (a test switch)."""
    return LOCAL_PRICES + [
        {"gpu_type": ours, "runpod_id": runpod_id, "display_name": runpod_id, "memory_gb": 0,
         "spot_cents_per_hour": None, "on_demand_cents_per_hour": None, "available": simulated}
        for ours, runpod_id in RUNPOD_GPU_IDS.items()]


def _cents(dollars: float | None) -> int | None:
    return None if dollars is None else round(dollars * 100)


def price_rows(gpu_types: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """RunPod's gpuTypes answer → our rows, for the GPU types we offer. The lowest price of one
    GPU is what renting now costs; null prices there mean nothing is free to rent."""
    by_id = {g["id"]: g for g in gpu_types}
    rows = []
    for ours, runpod_id in RUNPOD_GPU_IDS.items():
        gpu = by_id.get(runpod_id)
        if gpu is None:
            continue
        lowest = gpu.get("lowestPrice") or {}
        # The minimum bid of the cloud spot pods rent in (runpod_provider.spot_cloud): what
        # the bid is priced from, so what the user is shown.
        # None there: no spot in that cloud, whatever the others have.
        in_cloud = gpu.get("spot")
        spot = (in_cloud.get("minimumBidPrice") if in_cloud is not None
                else lowest.get("minimumBidPrice") or gpu.get("communitySpotPrice"))
        on_demand = lowest.get("uninterruptablePrice") or gpu.get("securePrice")
        rows.append({
            "gpu_type": ours, "runpod_id": runpod_id, "display_name": gpu["displayName"],
            "memory_gb": gpu.get("memoryInGb") or 0, "spot_cents_per_hour": _cents(spot),
            "on_demand_cents_per_hour": _cents(on_demand),
            "available": lowest.get("uninterruptablePrice") is not None
                         or lowest.get("minimumBidPrice") is not None,
        })
    return rows


class PriceBook:
    def __init__(self, provider: RunPodProvider, uow: UnitOfWork, ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.provider = provider
        self.uow = uow
        self.ttl_s = ttl_s
        self.clock = clock
        self._rows: list[dict[str, Any]] = []
        self._fetched_at: dt.datetime | None = None
        self._next_fetch = 0.0
        self._stale_reason: str | None = None

    async def current(self) -> dict[str, Any]:
        """{gpu_types, fetched_at, stale, notice}; raises 503 only with no prices ever seen."""
        if self.clock() >= self._next_fetch:
            try:
                rows = price_rows(await asyncio.to_thread(self.provider.gpu_types))
            except ProviderError as exc:
                log.warning("GPU prices: %s", exc)
                self._stale_reason = str(exc)
                self._next_fetch = self.clock() + min(self.ttl_s, RETRY_AFTER_FAILURE_S)
            else:
                self._rows, self._fetched_at = rows, dt.datetime.now(dt.UTC)
                self._stale_reason = None
                self._next_fetch = self.clock() + self.ttl_s
                await self._save()
        if self._stale_reason is not None:
            return await self._last_known(self._stale_reason)
        return self._answer(stale=False)

    async def spot_cents(self, gpu_type: str) -> int | None:
        prices = await self.current()
        row = next((r for r in prices["gpu_types"] if r["gpu_type"] == gpu_type), None)
        return row and row["spot_cents_per_hour"]

    def _answer(self, stale: bool, notice: str = "") -> dict[str, Any]:
        return {"gpu_types": self._rows, "stale": stale, "notice": notice,
                "fetched_at": self._fetched_at.isoformat() if self._fetched_at else None}

    async def _last_known(self, why: str) -> dict[str, Any]:
        if not self._rows:
            await self._load()
        if not self._rows:
            raise ServiceError("gpu_prices_unavailable", f"No GPU prices yet: {why}",
                               "Check BRIGHTRUN_RUNPOD_API_URL and the network, then retry.",
                               status=503)
        when = self._fetched_at.strftime("%Y-%m-%d %H:%M UTC") if self._fetched_at else "earlier"
        log.info("serving last-known GPU prices: %s", why)
        return self._answer(stale=True, notice=f"RunPod cannot be reached right now; showing the "
                                               f"last-known prices, from {when}.")

    async def _save(self) -> None:
        async with self.uow() as work:
            for row in self._rows:
                await work.conn.execute(
                    "INSERT INTO gpu_prices (gpu_type, runpod_id, display_name, memory_gb, "
                    "spot_cents_per_hour, on_demand_cents_per_hour, available, fetched_at) "
                    "VALUES (%(gpu_type)s, %(runpod_id)s, %(display_name)s, %(memory_gb)s, "
                    "%(spot_cents_per_hour)s, %(on_demand_cents_per_hour)s, %(available)s, "
                    "%(fetched_at)s) ON CONFLICT (gpu_type) DO UPDATE SET "
                    "runpod_id = EXCLUDED.runpod_id, display_name = EXCLUDED.display_name, "
                    "memory_gb = EXCLUDED.memory_gb, available = EXCLUDED.available, "
                    "spot_cents_per_hour = EXCLUDED.spot_cents_per_hour, "
                    "on_demand_cents_per_hour = EXCLUDED.on_demand_cents_per_hour, "
                    "fetched_at = EXCLUDED.fetched_at", {**row, "fetched_at": self._fetched_at})

    async def _load(self) -> None:
        async with self.uow() as work:
            rows = await (await work.conn.execute(
                "SELECT * FROM gpu_prices ORDER BY gpu_type")).fetchall()
        if rows:
            self._fetched_at = min(r.pop("fetched_at") for r in rows)
            self._rows = [dict(r) for r in rows]
