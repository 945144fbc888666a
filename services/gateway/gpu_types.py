"""GPU types with live prices and availability (UJ1.2.2, UJ2.1.2), as provisioning knows them,
and what this installation's jobs say about each (the jobs service's history)."""

from __future__ import annotations

import asyncio

from litestar import Controller, get
from litestar.di import NamedDependency
from msgspec import structs

from proto.job_history import JobHistoryView
from proto.jobs import GetJobHistory
from proto.provisioning import GetGpuPrices, GpuPrices, GpuTypesView, GpuTypeView
from services.gateway.bus import GatewayBus


class GpuTypesController(Controller):
    path = "/gpu-types"
    tags = ["configuration"]

    @get("/")
    async def gpu_types(self, bus: NamedDependency[GatewayBus]) -> GpuTypesView:
        """Prices in cents per GPU-hour, spot and on-demand, and whether any is free to rent.
        When RunPod cannot be reached the last-known prices come back with `stale: true` and a
        `notice` saying so. Each type's `history` is from this installation's finished jobs:
        `spot_interruption` ("15% of 20 spot jobs interrupted") and `gpu_return` per pricing
        (the median wait for a GPU after none was free), each "no history yet" until there is
        some; `spot_interruption` at the top covers every type, and `pricing_success` says how
        many spot and on-demand jobs finished successfully here."""
        prices, history = await asyncio.gather(bus.ask(GetGpuPrices(), GpuPrices),
                                               bus.ask(GetJobHistory(), JobHistoryView),
                                               return_exceptions=True)
        if isinstance(prices, BaseException):
            raise prices
        if isinstance(history, BaseException):  # the prices still stand without the history
            return GpuTypesView(
                gpu_types=[GpuTypeView(**structs.asdict(row)) for row in prices.gpu_types],
                stale=prices.stale, notice=prices.notice, fetched_at=prices.fetched_at,
                spot_interruption=None, pricing_success=None,
                history_notice=f"History unavailable right now: {history}")
        rows = [GpuTypeView(**structs.asdict(row),
                            history=history.gpu_types.get(row.gpu_type, history.unknown_gpu))
                for row in prices.gpu_types]
        return GpuTypesView(gpu_types=rows, stale=prices.stale, notice=prices.notice,
                            fetched_at=prices.fetched_at,
                            spot_interruption=history.spot_interruption,
                            pricing_success=history.pricing_success)
