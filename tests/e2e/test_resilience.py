"""Services killed mid-job and restarted, and the NATS server restarted under them: the job
completes; no event is lost or applied twice."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from journey import start_job, upload, wait_for_status


@pytest.fixture
def api(stack):
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


def _kill(stack, name: str) -> None:
    pid = stack.stack.info()["pids"][name]
    os.killpg(pid, signal.SIGKILL)


def settled_event_log(api, job_id: str, timeout_s: float = 60.0) -> list[dict]:
    """The job's event log once monitoring has caught up to the completion: jobs and
    monitoring consume the same stream independently, and a restarted one replays a backlog."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = api.get(f"/jobs/{job_id}/events", params={"per_page": 500}).json()["events"]
        if any(e["kind"] == "status" and e["payload"]["status"] == "completed" for e in log):
            return log
        assert time.monotonic() < deadline, f"monitoring never logged the completion: {log[-5:]}"
        time.sleep(0.25)


@pytest.mark.parametrize("victims", [("jobs", "monitoring"), ("provisioning",), ("gateway",)],
                         ids=["jobs+monitoring", "provisioning", "gateway"])
def test_killed_services_restart_and_the_job_completes_exactly_once(stack, api, victims):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    job = start_job(api, file_id, max_steps=40, checkpoint_every_steps=10)
    wait_for_status(api, job["id"], {"training"}, 120)
    for name in victims:
        _kill(stack, name)
    time.sleep(2.0)  # the trainer keeps posting while they are down (to a dead gateway: retries)
    for name in victims:
        stack.stack.restart_service(name)
    stack.stack.wait_ready(stack.settings)

    assert_completed_exactly_once(api, job["id"])


def assert_completed_exactly_once(api, job_id: str) -> list[dict]:
    done = wait_for_status(api, job_id, {"completed", "failed"}, 240)
    assert done["status"] == "completed", done

    log = settled_event_log(api, job_id)
    progress_steps = [e["payload"]["step"] for e in log if e["kind"] == "progress"]
    total = next(e for e in log if e["kind"] == "progress")["payload"]["total_steps"]
    assert total >= 20  # long enough that the kills land mid-training
    assert progress_steps == list(range(1, total + 1))  # none lost, none twice
    statuses = [e["payload"]["status"] for e in log if e["kind"] == "status"]
    assert len(statuses) == len(set(statuses)), statuses  # no transition applied twice
    assert statuses[-1] == "completed"
    started = [e for e in log if e["kind"] == "instance" and "started" in e["message"]]
    assert len(started) == 1  # no second trainer process
    return log


def test_nats_restarted_mid_job_every_client_reconnects_and_nothing_is_lost(stack, api):
    """The gateway, every service and their outbox relays reconnect; trainer webhooks that
    met the outage are tried again; JetStream's durable consumers carry on where they were."""
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    job = start_job(api, file_id, max_steps=40, checkpoint_every_steps=10)
    wait_for_status(api, job["id"], {"training"}, 120)
    step_before = api.get(f"/jobs/{job['id']}").json()["progress"]["step"]
    stack.stack.restart_nats(down_s=2.0)  # the trainer keeps posting meanwhile
    stack.stack.wait_ready(stack.settings)

    log = assert_completed_exactly_once(api, job["id"])
    total = next(e for e in log if e["kind"] == "progress")["payload"]["total_steps"]
    assert step_before < total  # the restart landed mid-training
    # Continuous: the trainer numbers every event; only heartbeats are not logged, and each
    # is followed by its resource sample.
    by_seq = {e["payload"]["seq"]: e["kind"] for e in log if "seq" in e["payload"]}
    assert len(by_seq) == len([e for e in log if "seq" in e["payload"]])  # none twice
    missing = [s for s in range(1, max(by_seq) + 1) if s not in by_seq]
    assert all(by_seq.get(s + 1) == "resources" for s in missing), missing
    metrics = api.get(f"/jobs/{job['id']}/metrics").json()["train"]
    assert sorted(m["step"] for m in metrics) == list(range(1, total + 1))


def test_readiness_names_a_dead_service_until_it_is_back(stack):
    ready = httpx.get(f"{stack.gateway_url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["services"].values()) == {"pong"}
    _kill(stack, "cost")
    not_ready = httpx.get(f"{stack.gateway_url}/readyz", timeout=30)
    assert not_ready.status_code == 503
    assert not_ready.json()["services"]["cost"].startswith("not answering")
    assert not_ready.json()["services"]["jobs"] == "pong"
    stack.stack.restart_service("cost")
    stack.stack.wait_ready(stack.settings)
    assert httpx.get(f"{stack.gateway_url}/readyz", timeout=30).status_code == 200
