"""Estimate latency over the bus (UJ1.2.2: the estimate updates in <100 ms on any change).

Starts embedded NATS and PostgreSQL, the cost service in this process with a fitted time model
in place, and asks it for estimates of varying configurations the way the gateway does
(request/reply on `rpc.cost.estimate`). Prints p50, p99 and max.

    .venv/bin/python benchmarks/estimate_latency.py --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from libs.common.bus import call, make_broker  # noqa: E402
from libs.common.embedded.nats import EmbeddedNats  # noqa: E402
from libs.common.embedded.postgres import EmbeddedPostgres  # noqa: E402
from libs.common.settings import Settings  # noqa: E402
from proto.cost import EstimateRequest  # noqa: E402
from proto.jobs import HyperparameterOverrides  # noqa: E402
from services.cost.app import build  # noqa: E402
from services.cost.timemodel import Correction, size_class  # noqa: E402


def requests(n: int) -> list[EstimateRequest]:
    gpus = ["cpu", "H100-80GB", "A100-80GB", "L40S-48GB"]
    return [EstimateRequest(
        estimated_tokens=50_000 + 997 * i, usable_pairs=60 + i % 40,
        preset=["conservative", "balanced", "aggressive"][i % 3],
        overrides=HyperparameterOverrides(epochs=1 + i % 4, r=[8, 16, 32][i % 3]),
        gpu_type=gpus[i % 4], pricing="spot" if i % 2 else "on_demand",
        model_parameter_count=[135_000_000, 70_000_000_000][i % 2]) for i in range(n)]


async def measure(settings: Settings, n: int) -> list[float]:
    runtime = build(settings)
    await runtime.start()
    broker = make_broker(settings.nats_url, "bench")
    await broker.connect()
    try:
        # what a refit leaves behind, so the timed path includes applying a correction
        for req in requests(8):
            runtime_corrections(runtime)[(req.gpu_type, size_class(req.model_parameter_count))] = \
                Correction(slope=1.2, intercept_s=30.0, jobs=30)
        for req in requests(50):  # warm-up: connections, first-call imports
            await call(broker, req)
        timings = []
        for req in requests(n):
            started = time.perf_counter()
            await call(broker, req)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await broker.stop()
        await runtime.stop()


def runtime_corrections(runtime) -> dict:
    """The running service's in-memory time model (the one its estimate RPC reads)."""
    return runtime.cost_context.corrections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        nats = EmbeddedNats(Path(tmp) / "nats")
        postgres.start()
        nats.start()
        try:
            settings = Settings(state_dir=tmp, nats_url=nats.url, database_url=postgres.url)
            timings = asyncio.run(measure(settings, args.requests))
        finally:
            nats.stop()
            postgres.stop()
    timings.sort()
    p99 = timings[int(0.99 * (len(timings) - 1))]
    print(f"estimate RPC over NATS, {len(timings)} requests: p50 {statistics.median(timings):.2f} ms"
          f"  p99 {p99:.2f} ms  max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
