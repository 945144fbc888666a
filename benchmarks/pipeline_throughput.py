"""Events per second through the whole pipeline: one replica of each service against two.

Simulated trainers post signed progress webhooks as fast as they are answered (each job posts its
next event when the previous one was accepted). The clock runs from the first post until every
durable consumer of the TRAINING stream (jobs, monitoring, cost, validation, provisioning) has
acknowledged every event: gateway → JetStream → each consumer's transaction. The jobs are not in
the database (as in webhook_latency.py), so consumers do the work of an event they cannot match
to a job: this measures the pipeline's machinery, not a job's bookkeeping.

Same stack, same run: measured with one replica of each service, then again after a second
replica of every service and of the gateway has started; then the trainers post to both gateways
in turn, as a load balancer would. CPU per event is by process, as in webhook_latency.py.

    python benchmarks/pipeline_throughput.py [--events 2000] [--jobs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import nats
from webhook_latency import client_cpu_seconds, cpu_seconds

from libs.common.ports import free_port
from libs.common.services import SERVICES
from libs.common.signing import derive_job_secret, sign
from proto.base import encode
from proto.training import Progress
from services.cli.stack import Stack

STREAM = "TRAINING"


async def post_events(client: httpx.AsyncClient, gateways: itertools.cycle, secret: str,
                      job_id: uuid.UUID, events: int) -> None:
    key = derive_job_secret(secret, job_id)
    for step in range(1, events + 1):
        body = encode(Progress(job_id=job_id, step=step, total_steps=events, epoch=0.1,
                               loss=1.0, learning_rate=1e-4, seq=step))
        url = f"{next(gateways)}/api/v1/webhooks/trainer/{job_id}"
        (await client.post(url, content=body, headers=sign(key, body))).raise_for_status()


async def drained(nats_url: str, timeout_s: float = 600.0) -> None:
    """Wait until every consumer of the stream has acked everything in it."""
    nc = await nats.connect(nats_url.split(","))
    js = nc.jetstream()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            last = (await js.stream_info(STREAM)).state.last_seq
            consumers = await js.consumers_info(STREAM)
            if consumers and all(c.delivered.stream_seq >= last and c.num_ack_pending == 0
                                 and c.num_pending == 0 for c in consumers):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the consumers did not catch up")
    finally:
        await nc.close()


async def scenario(settings, gateways: list[str], jobs: int, events: int) -> dict:
    per_job = max(1, events // jobs)
    cycle = itertools.cycle(gateways)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=jobs + 10),
                                 timeout=30) as client:
        await asyncio.gather(*(post_events(client, cycle, settings.webhook_secret, uuid.uuid4(),
                                           per_job) for _ in range(jobs)))
    posted = time.perf_counter()
    await drained(settings.nats_url)
    done = time.perf_counter()
    total = per_job * jobs
    return {"events": total, "ingest_per_s": total / (posted - started),
            "through_per_s": total / (done - started)}


def measure(stack: Stack, settings, jobs: int, events: int, label: str) -> None:
    before = {**cpu_seconds(stack), "client": client_cpu_seconds()}
    r = asyncio.run(scenario(settings, stack.gateway_urls(), jobs, events))
    after = {**cpu_seconds(stack), "client": client_cpu_seconds()}
    cpu = " ".join(f"{k}={1000 * (after[k] - before[k]) / r['events']:.2f}" for k in after)
    print(f"{label:<22} {r['events']:>7} {r['ingest_per_s']:>10.0f} {r['through_per_s']:>10.0f}"
          f"   {cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--state-dir", help="keep the stack's state and logs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        stack = Stack(Path(args.state_dir or scratch), durable=False)
        settings = stack.up(gateway_port=free_port())
        try:
            print(f"pipeline throughput: {args.jobs} jobs posting progress webhooks, "
                  f"until every TRAINING consumer has acked")
            print(f"{'replicas':<22} {'events':>7} {'posted/s':>10} {'through/s':>10}"
                  f"   CPU ms per event by process")
            measure(stack, settings, args.jobs, args.events // 4, "warm-up (1 each)")
            measure(stack, settings, args.jobs, args.events, "1 of each service")
            for name in [*SERVICES, "gateway"]:
                stack.add_replica(name)
            stack.wait_replicas()
            measure(stack, settings, args.jobs, args.events, "2 of each service")
        finally:
            stack.down()


if __name__ == "__main__":
    main()
