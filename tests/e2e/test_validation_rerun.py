"""Issue 12 through the whole stack: re-running perplexity needs the model, so the job gets a
validation-only attempt on a new instance (the tiny model, its stored adapter, no training);
a new run's perplexity figures arrive, the job is completed again with its original adapter,
and the re-run is billed on the cost breakdown's validation line."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from journey import SMALL_VALIDATION, TINY_MODEL, upload, wait_for_status

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]  # a stack and two model loads


@pytest.fixture
def api(stack):
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


def perplexity(api: httpx.Client, job_id: str, ready, timeout_s: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = api.get(f"/jobs/{job_id}/validation").json()
        suite = next((s for s in view["suites"] if s["suite"] == "perplexity"), None)
        if suite and ready(suite):
            return suite
        time.sleep(0.5)
    raise AssertionError(f"perplexity of {job_id} never got there: {view}")


def settled_cost(api: httpx.Client, job_id: str, attempts: int) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        cost = api.get(f"/jobs/{job_id}/cost").json()
        if (cost["final"] and not cost["final"].get("pending")
                and len(cost["ledger"]) == attempts):
            return cost
        time.sleep(0.5)
    raise AssertionError(f"the final cost of {job_id} never settled: {cost}")


def test_a_perplexity_rerun_gets_an_instance_and_is_billed_as_validation(stack, api):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    body = {"training_file_id": file_id, "model": TINY_MODEL, "gpu_type": "H100-80GB",
            "validation": {**SMALL_VALIDATION, "suites": ["perplexity"]},
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 2}}
    created = api.post("/jobs", json=body)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    first = wait_for_status(api, job_id, {"completed"})
    measured = perplexity(api, job_id, lambda s: s["status"] == "completed")
    settled_cost(api, job_id, attempts=1)

    rerun = api.post(f"/jobs/{job_id}/validation/rerun", json={"suites": ["perplexity"]})
    assert rerun.status_code in (200, 201, 202), rerun.text
    assert rerun.json()["measuring"] == ["perplexity"]
    again = perplexity(api, job_id, lambda s: s["run"] > measured["run"]
                       and s["status"] == "completed")
    assert again["figures"]["base_perplexity"] > 0 and again["figures"]["trained_perplexity"] > 0

    job = wait_for_status(api, job_id, {"completed"})
    assert job["attempt"] == 2 and job["adapter_key"] == first["adapter_key"]
    assert job["validation_rerun"]["status"] == "completed"
    # The rerun's instance is not an interruption; a job never interrupted has no history
    # (None since b40b44f made it an InterruptionHistory Struct).
    assert job["interruption_history"] is None
    cost = settled_cost(api, job_id, attempts=2)
    final = cost["final"]
    lines = {line["kind"]: line for line in final["lines"]}
    # Both kinds of time were billed; a few seconds of training may round to 0 cents.
    assert float(lines["validation"]["billable_hours"]) > 0
    assert float(lines["training"]["billable_hours"]) > 0
    assert sum(line["cents"] for line in lines.values()) == final["total_cents"]
    assert [e["attempt"] for e in cost["ledger"]] == [1, 2]
