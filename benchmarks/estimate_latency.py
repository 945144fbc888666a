"""Estimate latency over the bus (UJ1.2.2: the estimate updates in <100 ms on any change).

Starts embedded NATS and PostgreSQL, and the jobs, provisioning (local) and cost services in
this process with a fitted time model in place; registers the sample training files, then asks
for estimates of varying configurations the way the gateway does (request/reply on
`rpc.cost.estimate_job`: the cost service reads the file's stats and the GPU prices from its
caches). Prints p50, p99 and max.

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
from libs.common.storage import open_store  # noqa: E402
from proto.cost import EstimateJob  # noqa: E402
from proto.jobs import HyperparameterOverrides, RegisterTrainingFile  # noqa: E402
from proto.training import ModelRef  # noqa: E402
from services.cost.app import build  # noqa: E402
from services.cost.timemodel import Correction, size_class  # noqa: E402
from services.jobs.app import build as build_jobs  # noqa: E402
from services.provisioning.app import build as build_provisioning  # noqa: E402

SAMPLES = sorted((ROOT / "services" / "cli" / "samples").glob("*.json"))
MODELS = [ModelRef(), ModelRef(name="llama-3-70b", parameter_count=70_000_000_000)]


def requests(n: int, files: list[str]) -> list[EstimateJob]:
    gpus = ["cpu", "H100-80GB", "A100-80GB", "L40S-48GB"]
    return [EstimateJob(
        training_file_id=files[i % len(files)],
        preset=["conservative", "balanced", "aggressive"][i % 3],
        overrides=HyperparameterOverrides(epochs=1 + i % 4, r=[8, 16, 32][i % 3]),
        gpu_type=gpus[i % 4], pricing="spot" if i % 2 else "on_demand",
        model=MODELS[i % 2]) for i in range(n)]


async def register(broker, settings: Settings) -> list[str]:
    store, ids = open_store(settings.resolved_storage_url), []
    for path in SAMPLES:
        key = f"training-files/bench/{path.name}"
        store.put_bytes(key, path.read_bytes())
        file = await call(broker, RegisterTrainingFile(storage_key=key, filename=path.name,
                                                       size_bytes=path.stat().st_size))
        ids.append(file["id"])
    return ids


async def measure(settings: Settings, n: int) -> list[float]:
    others = [build_jobs(settings), build_provisioning(settings)]
    runtime = build(settings)
    for service in [*others, runtime]:
        await service.start()
    broker = make_broker(settings.nats_url, "bench")
    await broker.connect()
    try:
        files = await register(broker, settings)
        # what a refit leaves behind, so the timed path includes applying a correction
        for req in requests(8, files):
            size = size_class(req.model.parameter_count)
            runtime_corrections(runtime)[(req.gpu_type, size)] = \
                Correction(slope=1.2, intercept_s=30.0, jobs=30)
        for req in requests(50, files):  # warm-up: connections, first-call imports, caches
            await call(broker, req)
        timings = []
        for req in requests(n, files):
            started = time.perf_counter()
            await call(broker, req)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await broker.stop()
        for service in [runtime, *others]:
            await service.stop()


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
