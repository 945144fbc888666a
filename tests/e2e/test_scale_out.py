"""Production shape: two replicas of every service on a three-node JetStream cluster (streams
with three replicas). One NATS node and one replica of each service are killed (SIGKILL) at
random moments while jobs train: every job completes, and no pod, cost entry or notification
exists twice.

The gateway the trainers post to is the first one (there is no load balancer in front of the
two here), so the gateway replica killed is the second, after it has served requests.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from journey import start_job, upload, wait_for_status
from support import SAMPLE_FILE
from test_resilience import assert_completed_exactly_once

from libs.common.bus import ensure_streams, make_broker
from libs.common.embedded.nats_cluster import EmbeddedNatsCluster
from libs.common.ports import free_port
from libs.common.services import SERVICES
from services.cli.stack import Stack

pytestmark = pytest.mark.slow
JOBS = 3


async def _streams_on(url: str, replicas: int, timeout_s: float = 60.0) -> None:
    """Create the streams with `replicas` copies once the cluster has elected its JetStream
    leader (a few seconds after the nodes start)."""
    broker = make_broker(url, "scale-out-test")
    await broker.connect()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                return await ensure_streams(broker, replicas)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await broker.stop()


@pytest.fixture(scope="module")
def cluster_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    base = tmp_path_factory.mktemp("scale-out")
    cluster = EmbeddedNatsCluster(base / "nats")
    cluster.start(base)
    stack = Stack(base / "stack", durable=False)
    try:
        asyncio.run(_streams_on(cluster.url, 3))
        settings = stack.up({"BRIGHTRUN_NATS_URL": cluster.url,
                             "BRIGHTRUN_NATS_STREAM_REPLICAS": "3"}, gateway_port=free_port())
        for name in [*SERVICES, "gateway"]:
            stack.add_replica(name)
        stack.wait_replicas()
        yield stack, settings, cluster
    finally:
        stack.down()
        cluster.stop()


def _kill_at_random_moments(stack: Stack, cluster: EmbeddedNatsCluster,
                            rng: random.Random) -> list[str]:
    """SIGKILL one NATS node and one replica of each service, in random order, a random 0-3 s
    apart. The survivors carry on alone: nothing is restarted."""
    pids = stack.info()["pids"]
    node = rng.choice(cluster.nodes)
    victims = [(f"nats {node.name}", lambda: node.process.kill())]
    for name in [*(rng.choice([s, f"{s}#2"]) for s in SERVICES), "gateway#2"]:
        victims.append((name, lambda pid=pids[name]: os.killpg(pid, signal.SIGKILL)))
    rng.shuffle(victims)
    for _, kill in victims:
        time.sleep(rng.uniform(0.0, 3.0))
        kill()
    return [name for name, _ in victims]


def _rows(database_url: str, sql: str) -> list[tuple]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def _rows_for_every_job(database_url: str, sql: str, jobs: list[str],
                        timeout_s: float = 180.0) -> list[tuple]:
    """`sql`'s rows (job id first) once every job has some: cost and notification consume
    the completion on their own, after the job's status says completed."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _rows(database_url, sql)
        if {str(row[0]) for row in rows} >= set(jobs):
            return rows
        assert time.monotonic() < deadline, f"not every job of {jobs} has rows: {rows}"
        time.sleep(0.5)


def test_jobs_complete_once_each_while_a_nats_node_and_a_replica_of_each_service_die(
        cluster_stack):
    stack, settings, cluster = cluster_stack
    seed = int(os.environ.get("SCALE_OUT_SEED", random.randrange(1 << 30)))
    print(f"SCALE_OUT_SEED={seed}")  # to replay the same kill order and timing
    rng = random.Random(seed)
    with httpx.Client(base_url=f"{settings.gateway_url}/api/v1", timeout=30) as api, \
            httpx.Client(base_url=f"{stack.gateway_urls()[1]}/api/v1", timeout=30) as api2:
        file_id = upload(api2, "sample.json", SAMPLE_FILE.read_bytes()).json()["id"]
        jobs = [start_job(api if i % 2 else api2, file_id, max_steps=20,
                          checkpoint_every_steps=10)["id"] for i in range(JOBS)]
        wait_for_status(api, jobs[0], {"training"}, 180)
        killed = _kill_at_random_moments(stack, cluster, rng)
        print("killed:", killed)
        for job_id in jobs:
            # Three trainers and 16 service processes on two shared cores: slow, not stuck.
            wait_for_status(api, job_id, {"completed", "failed"}, 900)
            assert_completed_exactly_once(api, job_id)

    url = settings.database_url
    pods = _rows(url, "SELECT job_id, count(*) FROM provisioning.instances GROUP BY job_id")
    assert sorted(str(job) for job, _ in pods) == sorted(jobs)
    assert {count for _, count in pods} == {1}, pods  # one pod (trainer process) per job
    costs = _rows_for_every_job(url, "SELECT job_id, kind, count(*) FROM cost.cost_entries "
                                     "GROUP BY job_id, kind", jobs)
    assert {row[2] for row in costs} == {1}, costs  # billed once: one attempt, each line once
    notes = _rows_for_every_job(url, "SELECT job_id, trigger, channel, count(*) FROM "
                                     "notification.notifications WHERE job_id IS NOT NULL "
                                     "GROUP BY job_id, trigger, channel", jobs)
    assert {row[3] for row in notes} == {1}, notes  # once per trigger and channel
