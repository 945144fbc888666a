"""Spot interruptions, retries and resumes through the whole stack (UJ4.1, UJ4.2.2, UJ4.3.2):
real trainer processes on the local provider, interrupted by its fault injection."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
import psutil
import pytest
from journey import NO_VALIDATION, TINY_MODEL, start_job, upload, wait_for_status

CHECKPOINT_EVERY = 3
STEPS = {1: 15, 3: 30}  # by interruptions: room for each to land mid-run


@pytest.fixture
def api(stack):
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


class TrainerCensus:
    """Samples this machine's processes: how many of a job's trainer instances live at once."""

    def __init__(self, job_id: str) -> None:
        self.job_id, self.most = job_id, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _alive(self) -> set[str]:
        specs = set()
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmdline = proc.info.get("cmdline") or []
            if proc.info.get("status") == psutil.STATUS_ZOMBIE:
                continue
            specs |= {arg for arg in cmdline if f"/{self.job_id}-" in arg}
        return specs

    def _run(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(self._alive()))
            time.sleep(0.1)

    def __enter__(self) -> TrainerCensus:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def event_log(api, job_id: str) -> list[dict]:
    return api.get(f"/jobs/{job_id}/events", params={"per_page": 500}).json()["events"]


def settled_log(api, job_id: str, kind: str, timeout_s: float = 30.0, says: str = ""
                ) -> list[dict]:
    """Monitoring consumes the streams on its own: wait until it has logged `kind`."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = event_log(api, job_id)
        if any(e["kind"] == kind and says in e["message"] for e in log):
            return log
        assert time.monotonic() < deadline, (
            f"no {kind} event logged: {len(log)} events, last {[e['message'] for e in log[-8:]]}")
        time.sleep(0.25)


def progress_by_attempt(log: list[dict]) -> dict[int, list[tuple[int, float]]]:
    attempts: dict[int, list[tuple[int, float]]] = {}
    for event in log:
        if event["kind"] == "progress":
            p = event["payload"]
            attempts.setdefault(p["attempt"], []).append((p["step"], p["loss"]))
    return attempts


@pytest.mark.parametrize("signals", [
    pytest.param(["sigkill"], id="once"),
    # Four trainer start-ups: over a minute and a half on two cores.
    pytest.param(["sigterm", "sigkill", "sigkill"], id="three-times", marks=pytest.mark.slow),
])
def test_a_job_interrupted_at_random_steps_completes_with_a_continuous_curve(
        stack, api, signals):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    faults = {"random_interruptions": len(signals), "signals": signals, "grace_s": 20,
              "seed": 11}
    response = api.post("/jobs", json={
        "training_file_id": file_id, "model": TINY_MODEL, "tags": ["test"],
        "fault_injection": faults, "validation": NO_VALIDATION,  # stage 5 is not under test
        "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                      "grad_accumulation": 1, "max_steps": STEPS[len(signals)],
                      "checkpoint_every_steps": CHECKPOINT_EVERY}})
    assert response.status_code == 201, response.text
    job = response.json()
    with TrainerCensus(job["id"]) as census:
        done = wait_for_status(api, job["id"], {"completed", "failed"}, 240)
    assert done["status"] == "completed", done
    assert census.most == 1  # never two instances of the job alive at once

    history = done["interruption_history"]
    n = len(signals)
    assert history["summary"] == f"Interrupted {n}x (auto-recovered)"
    assert done["attempt"] == n + 1
    for item, how in zip(history["items"], faults["signals"], strict=True):
        assert item["steps_lost"] <= CHECKPOINT_EVERY
        if how == "sigterm":
            assert item["steps_lost"] == 0, item  # it checkpointed before going

    log = settled_log(api, job["id"], "completed")
    attempts = progress_by_attempt(log)
    assert sorted(attempts) == list(range(1, n + 2))
    trained: dict[int, float] = {}
    for attempt in sorted(attempts):
        steps = [s for s, _ in attempts[attempt]]
        assert steps == list(range(steps[0], steps[-1] + 1))  # no gap inside an attempt
        assert steps[0] <= max(trained, default=0) + 1  # resumed where a checkpoint was
        for step, loss in attempts[attempt]:  # a step trained again replays the same loss
            if step in trained:
                assert loss == pytest.approx(trained[step], rel=1e-4)
            trained[step] = loss
    total = STEPS[n]
    assert sorted(trained) == list(range(1, total + 1))
    curve = api.get(f"/jobs/{job['id']}/metrics").json()["train"]
    assert [m["step"] for m in curve] == list(range(1, total + 1))
    assert [m["loss"] for m in curve] == pytest.approx([trained[s] for s in range(1, total + 1)])
    completed = next(e for e in log if e["kind"] == "completed")
    assert completed["payload"]["steps"] == total
    recovering = [e["message"] for e in log if e["kind"] == "status"
                  and e["payload"]["status"] == "recovering"]
    assert len(recovering) == n and all("Auto-recovering" in m for m in recovering)


def _storage_dir(stack) -> Path:
    return Path(unquote(urlparse(stack.settings.resolved_storage_url).path))


def test_a_cancelled_job_resumes_from_its_checkpoint_and_retries_with_a_diff(stack, api):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    parent = start_job(api, file_id, max_steps=500, checkpoint_every_steps=2)
    deadline = time.monotonic() + 120
    while api.get(f"/jobs/{parent['id']}").json()["progress"]["step"] < 4:
        assert time.monotonic() < deadline, "the job never reached step 4"
        time.sleep(0.2)
    cancelled = api.post(f"/jobs/{parent['id']}/cancel", json={"reason": "Testing"}).json()
    assert cancelled["status"] == "cancelled"
    settled_log(api, parent["id"], "instance", 60, says="exited")  # after its checkpoint
    checkpoints = sorted((_storage_dir(stack) / "jobs" / parent["id"] / "checkpoints").glob(
        "step-*/manifest.json"))
    newest = int(checkpoints[-1].parent.name.removeprefix("step-"))

    oldest = checkpoints[0].parent
    (oldest / "trainer_state.json").write_bytes(b"{}")
    corrupt = api.post(f"/jobs/{parent['id']}/resume",
                       json={"checkpoint_step": int(oldest.name.removeprefix("step-"))})
    assert corrupt.status_code == 422 and corrupt.json()["error"]["code"] == "checkpoint_corrupt"

    resumed = api.post(f"/jobs/{parent['id']}/resume", json={})
    assert resumed.status_code == 201, resumed.text
    child = resumed.json()
    assert child["parent_job_id"] == parent["id"]
    assert child["lineage"]["checkpoint_step"] == newest
    assert child["notes"] == f"Resumed from {parent['name']} at step {newest}"
    first = progress_by_attempt(settled_log(api, child["id"], "progress", 120))[1][0][0]
    assert first == newest + 1  # the work done is kept: training goes on from the checkpoint
    api.post(f"/jobs/{child['id']}/cancel", json={"reason": "Testing"})
    settled_log(api, child["id"], "instance", 60, says="exited")

    plan = api.post(f"/jobs/{parent['id']}/retry", json={
        "dry_run": True, "overrides": {"micro_batch_size": 1}})
    assert plan.status_code == 200
    assert plan.json()["changes"] == [{"field": "micro_batch_size", "before": 2, "after": 1}]
    retried = api.post(f"/jobs/{parent['id']}/retry", json={"overrides": {"micro_batch_size": 1}})
    assert retried.status_code == 201, retried.text
    retry = retried.json()
    assert retry["parent_job_id"] == parent["id"] and retry["hyperparameters"][
        "micro_batch_size"] == 1
    assert retry["notes"] == f"Retry of {parent['name']} with batch_size reduced"
    api.post(f"/jobs/{retry['id']}/cancel", json={"reason": "Testing"})
    # UJ4.3.1 even for a trainer still starting up: its process is gone within 60 s.
    settled_log(api, retry["id"], "instance", 60, says="exited")
