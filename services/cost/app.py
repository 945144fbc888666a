"""Cost service wiring: estimates on request."""

from __future__ import annotations

from libs.common.bus import rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from proto.cost import EstimateRequest
from services.cost import domain


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("cost", settings, uses_database=False)

    @rpc(runtime.broker, EstimateRequest)
    async def estimate(req: EstimateRequest):
        return domain.estimate(req)

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
