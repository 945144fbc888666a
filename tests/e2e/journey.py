"""What a user does through the API, as small steps the end-to-end tests compose."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from websockets.sync.client import connect

TINY_MODEL = {"name": "tiny-random-llama", "parameter_count": 3_000_000}


def upload(api: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return api.post("/training-files", files={"file": (name, data, "application/json")})


# Stage 5 at its smallest on the tiny model: every suite runs, on a few short answers.
SMALL_VALIDATION = {"ei_scenarios": 2, "brand_voice_answers": 2, "max_new_tokens": 8}
NO_VALIDATION = {"suites": []}  # tests about training, recovery or cost skip stage 5


def start_job(api: httpx.Client, file_id: str, validation: dict | None = None,
              **overrides: Any) -> dict[str, Any]:
    body = {"training_file_id": file_id, "preset": "balanced", "model": TINY_MODEL,
            "tags": ["test"], "validation": validation or NO_VALIDATION,
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, **overrides}}
    response = api.post("/jobs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def watch(ws_url: str, until: set[str], timeout_s: float = 240.0) -> list[dict[str, Any]]:
    """Frames from a job's live websocket until its status is one of `until`."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    with connect(ws_url, open_timeout=10) as socket:
        while time.monotonic() < deadline:
            frame = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            frames.append(frame)
            status = (frame["data"]["job"]["status"] if frame["type"] == "snapshot"
                      else frame["data"].get("status") if frame["type"] == "status" else None)
            if status in until:
                return frames
    raise AssertionError(f"job did not reach {until} in {timeout_s}s; last frames: {frames[-5:]}")


def wait_for_status(api: httpx.Client, job_id: str, statuses: set[str],
                    timeout_s: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = api.get(f"/jobs/{job_id}")
        assert answer.status_code == 200, f"GET /jobs/{job_id}: {answer.status_code} {answer.text}"
        job = answer.json()
        if job["status"] in statuses:
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} stayed {job['status']}: {job}")
