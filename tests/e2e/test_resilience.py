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

    log = api.get(f"/jobs/{job['id']}/events", params={"per_page": 500}).json()["events"]
    progress_steps = [e["payload"]["step"] for e in log if e["kind"] == "progress"]
    assert progress_steps == list(range(1, 41))  # none lost, none twice
    statuses = [e["payload"]["status"] for e in log if e["kind"] == "status"]
    assert len(statuses) == len(set(statuses)), statuses  # no transition applied twice
    assert statuses[-1] == "completed"
    started = [e for e in log if e["kind"] == "instance" and "started" in e["message"]]
    assert len(started) == 1  # no second trainer process
