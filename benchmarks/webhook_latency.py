"""Trainer webhook post → websocket frame latency, at 1 and at 100 concurrent jobs' event rates.

Starts a real embedded stack, opens the console's firehose websocket, and has simulated
trainers post signed progress events at a trainer's rate: 0.5 events/s per job (a GPU step of a
few seconds, reported every step) and 2 events/s (the CPU demo's rate), each job at its own phase. Latency is
from just before each POST to the frame carrying that event id arriving at the client.

    python benchmarks/webhook_latency.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets

from libs.common.ports import free_port
from libs.common.signing import derive_job_secret, sign
from proto.base import encode
from proto.training import Progress
from services.cli.stack import Stack


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time used so far by each process of the stack (children included for postgres)."""
    import psutil

    used = {}
    for name, pid in stack.info()["pids"].items():
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)] if name == "postgres" else [proc]
        used[name] = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
    return used


def client_cpu_seconds() -> float:
    """This benchmark's own CPU (simulated trainers and the websocket reader share the cores)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def trainer(client: httpx.AsyncClient, settings, job_id: uuid.UUID, sent: dict,
                  until: float, rate: float) -> None:
    secret = derive_job_secret(settings.webhook_secret, job_id)
    url = f"{settings.gateway_url}/api/v1/webhooks/trainer/{job_id}"
    # Independent jobs are not phase-locked: each starts at a random point of its period and
    # then keeps its own schedule (a late post does not shift the next one).
    period = 1 / rate
    next_at = time.monotonic() + random.uniform(0, period)
    step = 0
    while next_at < until:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        next_at += period
        step += 1
        event = Progress(job_id=job_id, step=step, total_steps=10_000, epoch=0.1, loss=1.0,
                         learning_rate=1e-4, seq=step)
        body = encode(event)
        sent[str(event.event_id)] = time.perf_counter()
        response = await client.post(url, content=body, headers=sign(secret, body))
        response.raise_for_status()


async def scenario(settings, jobs: int, seconds: float, rate: float) -> dict:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    ws_url = settings.gateway_url.replace("http", "ws", 1) + "/api/v1/live"
    async with websockets.connect(ws_url, max_queue=None) as socket:
        async def receive() -> None:
            async for raw in socket:
                frame = json.loads(raw)
                started = sent.get(frame.get("data", {}).get("event_id", ""))
                if started is not None:
                    latencies.append((time.perf_counter() - started) * 1000)

        receiver = asyncio.create_task(receive())
        limits = httpx.Limits(max_connections=jobs + 10)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            until = time.monotonic() + seconds
            await asyncio.gather(*(trainer(client, settings, uuid.uuid4(), sent, until, rate)
                                   for _ in range(jobs)))
        await asyncio.sleep(1.0)  # let the last frames arrive
        receiver.cancel()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"jobs": jobs, "events": len(sent), "frames": len(latencies),
            "lost": len(sent) - len(latencies), "rate_per_s": len(sent) / seconds,
            "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": latencies[-1],
            "mean_ms": statistics.fmean(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--state-dir", help="keep the stack's state and logs here")
    parser.add_argument("--rates", default="0.5,2", help="events/s per job, comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = args.state_dir or scratch
        stack = Stack(Path(state))
        settings = stack.up(gateway_port=free_port())
        try:
            print(f"webhook → websocket latency ({args.seconds:.0f}s per scenario)")
            print(f"{'jobs':>5} {'ev/s/job':>8} {'events':>7} {'ev/s':>6} {'lost':>5} "
                  f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   CPU ms per event by process")
            for rate in (float(r) for r in args.rates.split(",")):
                for jobs in (1, 100):
                    before = {**cpu_seconds(stack), "client": client_cpu_seconds()}
                    r = asyncio.run(scenario(settings, jobs, args.seconds, rate))
                    after = {**cpu_seconds(stack), "client": client_cpu_seconds()}
                    per_event = {k: 1000 * (after[k] - before[k]) / max(r["events"], 1)
                                 for k in after}
                    cpu = " ".join(f"{k}={v:.1f}" for k, v in per_event.items())
                    print(f"{r['jobs']:>5} {rate:>8g} {r['events']:>7} {r['rate_per_s']:>6.0f} "
                          f"{r['lost']:>5} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                          f"{r['max_ms']:>8.1f}   {cpu}")
        finally:
            stack.down()


if __name__ == "__main__":
    main()
