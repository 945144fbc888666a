"""Retries and resumes are new jobs linked to their parent (UJ4.2.2, UJ4.3.2): the monthly
budget admits them like any job, and a per-job cap covers the parent's spend too (UJ6.3.2)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from support import eventually, write_checkpoint
from test_cost_service import FAST, created_job, known, spend, stored

from libs.common.storage import open_store
from proto.base import utcnow
from proto.cost import CostCapReached, EstimateJob, SetBudget
from proto.jobs import (
    CancelJob,
    GetJob,
    HyperparameterOverrides,
    ListJobs,
    RetryJob,
)
from proto.provisioning import InstanceStarted
from proto.training import ModelRef
from services.cost import domain
from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    return await start_service(build_cost, **FAST)


async def cancelled_job(bus, settings, **fields) -> uuid.UUID:
    """Created as users create one, estimated by the cost service: an H100 on spot at its list
    rate, $2.49/h."""
    job_id = await created_job(bus, settings, **fields)
    await bus.ask(CancelJob(job_id=job_id, reason="Testing"))
    return job_id


async def post(client: TestClient, path: str, body: dict):
    return await asyncio.to_thread(client.post, f"/api/v1{path}", json=body)


async def test_a_retry_the_budget_cannot_pay_is_refused_and_creates_nothing(
        services, bus, settings):
    job_id = await cancelled_job(bus, settings)
    await bus.ask(SetBudget(monthly_limit_cents=0))
    with TestClient(create_app(settings)) as client:
        refused = await post(client, f"/jobs/{job_id}/retry", {"pricing": "on_demand"})
        assert len(await bus.ask(ListJobs())) == 1  # no linked job was made
        await bus.ask(SetBudget(monthly_limit_cents=100_000))
        allowed = await post(client, f"/jobs/{job_id}/retry", {"pricing": "on_demand"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded" and "$0.00 left" in error["message"]
    assert "PUT /api/v1/budget" in error["how_to_fix"]
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["parent_job_id"] == str(job_id)


async def test_a_resume_is_checked_and_stored_with_the_estimate_for_the_steps_left(
        services, bus, settings):
    # A 70 B model for 20 epochs: enough training that half of it shows beside the start-up.
    job_id = await cancelled_job(bus, settings, model=BIG_MODEL, overrides=TWENTY_EPOCHS)
    parent = await bus.ask(GetJob(job_id=job_id))
    whole = await bus.ask(await estimate_request(bus, parent))
    step = whole["total_steps"] // 2
    left = await bus.ask(await estimate_request(bus, parent, resume_from_step=step))
    assert left["cost_cents_high"] < whole["cost_cents_high"]
    write_checkpoint(open_store(settings.resolved_storage_url), job_id, step)
    with TestClient(create_app(settings)) as client:
        # Enough for the steps left, not for the whole run again.
        await bus.ask(SetBudget(monthly_limit_cents=left["cost_cents_high"]))
        resumed = await post(client, f"/jobs/{job_id}/resume", {})
        await bus.ask(SetBudget(monthly_limit_cents=left["cost_cents_high"] - 1))
        refused = await post(client, f"/jobs/{job_id}/resume", {})
    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["estimate"]["cost_cents_high"] == left["cost_cents_high"]
    assert resumed.json()["estimate"]["resumed_at_step"] == step
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert error["details"]["estimate_cents"] == left["cost_cents_high"]


BIG_MODEL = ModelRef(name="llama-3-70b-instruct", parameter_count=70_000_000_000)
TWENTY_EPOCHS = HyperparameterOverrides(epochs=20)


async def estimate_request(bus, parent: dict, resume_from_step: int = 0) -> EstimateJob:
    return EstimateJob(training_file_id=parent["training_file_id"], overrides=TWENTY_EPOCHS,
                       gpu_type=parent["gpu_type"], model=BIG_MODEL,
                       resume_from_step=resume_from_step)


async def test_a_per_job_cap_counts_what_the_parent_spent(services, bus, settings):
    parent_id = await cancelled_job(bus, settings)
    await spend(bus, parent_id, 2)  # $4.98 at $2.49/h
    await eventually(lambda: _spent(bus, parent_id, 498))
    high = (await bus.ask(RetryJob(job_id=parent_id, dry_run=True)))["estimate"]["cost_cents_high"]
    # the child's estimate fits what the parent left of the cap, with 10 cents to spare
    await bus.ask(SetBudget(job_cap_cents=498 + high + 10))
    child = await bus.ask(RetryJob(job_id=parent_id))
    child_id = uuid.UUID(child["id"])
    await eventually(lambda: known(bus, child_id))
    # Running 20 cents past the spare on its own is far under the cap; with the parent's
    # $4.98 it is over.
    minutes = (high + 30) * 60 / 249
    await bus.publish(InstanceStarted(job_id=child_id, attempt=1, instance_id="i-child",
                                      provider="runpod",
                                      occurred_at=utcnow() - timedelta(minutes=minutes)))
    [cap] = await eventually(lambda: _caps(bus, child_id))
    assert (cap.scope, cap.cap_cents) == ("job", 498 + high + 10)
    assert cap.spend_cents >= 498 + high + 10


async def test_a_linked_job_is_refused_when_its_parent_used_up_the_per_job_cap(
        services, bus, settings):
    await bus.ask(SetBudget(job_cap_cents=548))
    parent_id = await cancelled_job(bus, settings)
    await spend(bus, parent_id, 2)  # $4.98 of the $5.48 cap, at $2.49/h
    await eventually(lambda: _spent(bus, parent_id, 498))
    with TestClient(create_app(settings)) as client:
        refused = await post(client, f"/jobs/{parent_id}/retry", {"pricing": "on_demand"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "job_cap_exceeded"
    assert "$0.50 left of the $5.48 per-job cost cap ($4.98 already spent" in error["message"]
    assert "job_cap_cents" in error["how_to_fix"]
    assert error["details"]["estimate_cents"] <= 548  # a new job this size would fit the cap


async def _spent(bus, job_id: uuid.UUID, cents: int) -> dict | None:
    cost = await known(bus, job_id)
    return cost if cost and cost["ledger"] and cost["spend_cents"] == cents else None


async def _caps(bus, job_id: uuid.UUID) -> list | None:
    return [c for c in await stored(bus, CostCapReached) if c.job_id == job_id] or None


async def test_a_retry_of_a_job_on_several_gpus_is_estimated_for_as_many(
        services, bus, settings):
    job_id = await cancelled_job(bus, settings, gpu_count=2)
    with TestClient(create_app(settings)) as client:
        retried = await post(client, f"/jobs/{job_id}/retry", {"pricing": "on_demand"})
    assert retried.status_code == 201, retried.text
    child = retried.json()
    assert child["gpu_count"] == 2 and child["estimate"]["gpu_count"] == 2
    assert child["estimate"]["hourly_rate_cents"] == \
        2 * domain.list_rate_cents("H100-80GB", "on_demand")  # catalogue: no RunPod here
