"""Cost through the whole stack: a real job on the local provider, billed as an H100 spot pod."""

from __future__ import annotations

import time

import httpx
import pytest
from journey import TINY_MODEL, upload, wait_for_status

pytestmark = pytest.mark.slow  # a stack of its own and a real training run


@pytest.fixture
def api(stack):
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


def final_cost(api: httpx.Client, job_id: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cost = api.get(f"/jobs/{job_id}/cost").json()
        if cost["final"] and not cost["final"].get("pending"):
            return cost
        time.sleep(0.25)
    raise AssertionError(f"no final cost for {job_id}: {cost}")


def test_a_finished_job_has_a_final_cost_traced_to_its_instance_and_in_the_month(stack, api):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    body = {"training_file_id": file_id, "model": TINY_MODEL, "gpu_type": "H100-80GB",
            "tags": ["client-delivery"],
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 4}}
    job = api.post("/jobs", json=body)
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    wait_for_status(api, job_id, {"completed"})
    cost = final_cost(api, job_id)
    final = cost["final"]
    assert cost["hourly_rate"] == "$2.49/hr (spot)" and cost["billable_s"] > 0
    assert 0 < cost["productive_s"] < cost["billable_s"]
    assert final["compute_cents"] + final["interruption_overhead_cents"] == final["total_cents"]
    assert [e["attempt"] for e in cost["ledger"]] == [1]
    month = api.get("/costs/month").json()
    assert job_id in [j["job_id"] for j in month["jobs"]]
    assert job_id in api.get("/costs/export.csv").text


def test_a_job_over_the_remaining_budget_is_refused_with_how_to_fix(stack, api):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    assert api.put("/budget", json={"monthly_limit_cents": 0}).status_code == 200
    try:
        refused = api.post("/jobs", json={"training_file_id": file_id, "gpu_type": "H100-80GB",
                                          "pricing": "on_demand"})
    finally:
        api.put("/budget", json={})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert "budget" in refused.json()["error"]["how_to_fix"]
