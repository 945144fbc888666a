"""Services killed mid-job and restarted: the job completes; no event is lost or applied twice."""

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


@pytest.mark.parametrize("victims", [("jobs", "monitoring"), ("provisioning",)])
def test_killed_services_restart_and_the_job_completes_exactly_once(stack, api, victims):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    job = start_job(api, file_id, max_steps=40, checkpoint_every_steps=10)
    wait_for_status(api, job["id"], {"training"}, 120)
    for name in victims:
        _kill(stack, name)
    time.sleep(2.0)  # the trainer keeps posting while they are down
    for name in victims:
        stack.stack.restart_service(name)
    stack.stack.wait_ready(stack.settings)

    done = wait_for_status(api, job["id"], {"completed", "failed"}, 240)
    assert done["status"] == "completed", done

    log = settled_event_log(api, job["id"])
    progress_steps = [e["payload"]["step"] for e in log if e["kind"] == "progress"]
    total = next(e for e in log if e["kind"] == "progress")["payload"]["total_steps"]
    assert total >= 20  # long enough that the kills land mid-training
    assert progress_steps == list(range(1, total + 1))  # none lost, none twice
    statuses = [e["payload"]["status"] for e in log if e["kind"] == "status"]
    assert len(statuses) == len(set(statuses)), statuses  # no transition applied twice
    assert statuses[-1] == "completed"
    started = [e for e in log if e["kind"] == "instance" and "started" in e["message"]]
    assert len(started) == 1  # no second trainer process
