"""GPU types with live prices and availability (UJ1.2.2, UJ2.1.2), as provisioning knows them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency

from proto.provisioning import GetGpuPrices
from services.gateway.bus import GatewayBus


class GpuTypesController(Controller):
    path = "/gpu-types"
    tags = ["configuration"]

    @get("/")
    async def gpu_types(self, bus: NamedDependency[GatewayBus]) -> dict[str, Any]:
        """Prices in cents per GPU-hour, spot and on-demand, and whether any is free to rent.
        When RunPod cannot be reached the last-known prices come back with `stale: true` and a
        `notice` saying so."""
        return await bus.ask(GetGpuPrices())
