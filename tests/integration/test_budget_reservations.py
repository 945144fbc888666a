"""Issue 15: the budget check and job acceptance are one step (budget reservations).

Real NATS and PostgreSQL, the jobs and cost services and the gateway in this process. Jobs are
created through POST /api/v1/jobs as a user would; nothing runs them (no provisioning), so each
accepted job's estimate stays held for as long as the test looks.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar.testing import TestClient
from support import eventually, running_gateway, training_file

from proto.cost import ReserveBudget
from proto.jobs import JobQueued
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs

JOB = {"gpu_type": "H100-80GB", "pricing": "on_demand"}


class Client:
    """The gateway over HTTP, each request on a thread of its own so twenty can be in flight
    at once (the gateway runs on the test client's loop, the services on the test's)."""

    def __init__(self, client: TestClient, pool: ThreadPoolExecutor) -> None:
        self.client, self.pool = client, pool

    def __getattr__(self, method: str):
        async def request(*args, **kwargs):
            call = functools.partial(getattr(self.client, method), *args, **kwargs)
            return await asyncio.get_running_loop().run_in_executor(self.pool, call)
        return request


@pytest.fixture
async def client(start_service, settings):
    await start_service(build_jobs)
    await start_service(build_cost, budget_reservation_ttl_s=5.0)
    async with running_gateway(settings) as test_client:
        with ThreadPoolExecutor(20) as pool:
            yield Client(test_client, pool)


async def upload(client, conversations: int = 55) -> str:
    response = await client.post("/api/v1/training-files", files={
        "file": ("f.json", training_file(conversations), "application/json")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def budget_for_three(client, file_id: str) -> int:
    """Set a monthly limit that pays for three of these jobs' estimates and not four."""
    estimate = await client.post("/api/v1/estimates", json={"training_file_id": file_id, **JOB})
    high = estimate.json()["cost_cents_high"]
    assert high > 0, estimate.text
    response = await client.put("/api/v1/budget", json={"monthly_limit_cents": 3 * high + high // 2})
    assert response.status_code == 200, response.text
    return high


def assert_refused(response) -> None:
    assert response.status_code in (402, 409, 422), response.text
    error = response.json()["error"]
    assert error["code"] == "budget_exceeded", error
    assert "left of this month's" in error["message"] and "PUT /api/v1/budget" in error["how_to_fix"]
    assert error["details"]["reserved_cents"] > 0


async def test_twenty_creations_at_once_against_a_budget_for_three_accept_exactly_three(client):
    file_id = await upload(client)
    high = await budget_for_three(client, file_id)
    responses = await asyncio.gather(*(
        client.post("/api/v1/jobs", json={"training_file_id": file_id, "name": f"at-once-{i}", **JOB})
        for i in range(20)))
    accepted = [r for r in responses if r.status_code == 201]
    assert len(accepted) == 3, [r.status_code for r in responses]
    for refused in (r for r in responses if r.status_code != 201):
        assert_refused(refused)
    budget = (await client.get("/api/v1/budget")).json()
    assert budget["reserved_cents"] == 3 * high and budget["reserved_jobs"] == 3
    assert budget["remaining_cents"] == high // 2
    # UJ1.3.2: the review step asks the rule creation applies, and hears the same answer.
    no = (await client.get(f"/api/v1/budget?estimate_cents={high}")).json()["impact"]
    refused = next(r for r in responses if r.status_code != 201).json()["error"]
    assert no["fits"] is False and no["refusal"]["code"] == "budget_exceeded"
    assert no["refusal"]["how_to_fix"] == refused["how_to_fix"]
    yes = (await client.get(f"/api/v1/budget?estimate_cents={high // 4}")).json()["impact"]
    assert yes["fits"] is True and yes["refusal"] is None
    assert yes["remaining_after_cents"] == high // 2 - high // 4


async def test_twenty_creations_one_after_another_accept_exactly_three(client, bus):
    file_id = await upload(client)
    await budget_for_three(client, file_id)
    statuses = []
    for i in range(20):
        response = await client.post("/api/v1/jobs", json={
            "training_file_id": file_id, "name": f"in-turn-{i}", **JOB})
        statuses.append(response.status_code)
        if response.status_code != 201:
            assert_refused(response)
    assert statuses == [201] * 3 + [422] * 17
    # each accepted job's JobQueued carries its reservation, which cost binds to the job
    queued = [q for q in await stored(bus) if q.name.startswith("in-turn-")]
    assert len(queued) == 3 and all(q.reservation_id is not None for q in queued)


async def stored(bus) -> list[JobQueued]:
    from proto.base import decode

    return [decode(raw, JobQueued) for raw in await bus.stored(JobQueued.subject)]


async def test_a_failed_creation_hands_its_reservation_back(client):
    good, short = await upload(client), await upload(client, conversations=10)
    high = await budget_for_three(client, good)
    # the estimate fits and is reserved, then the jobs service refuses the ineligible file
    response = await client.post("/api/v1/jobs", json={"training_file_id": short, **JOB})
    assert response.status_code == 422 and \
        response.json()["error"]["code"] == "training_file_not_eligible", response.text
    budget = (await client.get("/api/v1/budget")).json()
    assert budget["reserved_cents"] == 0 and budget["remaining_cents"] == 3 * high + high // 2
    accepted = [await client.post("/api/v1/jobs", json={"training_file_id": good, **JOB})
                for _ in range(4)]
    assert [r.status_code for r in accepted] == [201, 201, 201, 422]


async def test_a_reservation_no_job_binds_is_released_by_the_sweeper(client, bus):
    file_id = await upload(client)
    high = await budget_for_three(client, file_id)
    # a creation that died between reserving and creating: nobody releases it but the sweeper
    await bus.ask(ReserveBudget(reservation_id=uuid.uuid4(), estimate_cents=3 * high))
    assert (await client.get("/api/v1/budget")).json()["reserved_cents"] == 3 * high
    response = await client.post("/api/v1/jobs", json={"training_file_id": file_id, **JOB})
    assert_refused(response)

    async def released() -> bool:
        return (await client.get("/api/v1/budget")).json()["reserved_cents"] == 0

    await eventually(released, timeout_s=20)
    response = await client.post("/api/v1/jobs", json={"training_file_id": file_id, **JOB})
    assert response.status_code == 201, response.text


async def test_an_estimate_or_reservation_a_client_sends_is_not_the_one_the_job_holds(client):
    file_id = await upload(client)
    high = await budget_for_three(client, file_id)
    # a client claiming a free job and a reservation of its own: the jobs service asks cost
    response = await client.post("/api/v1/jobs", json={
        "training_file_id": file_id, **JOB, "reservation_id": str(uuid.uuid4()),
        "estimate": {"cost_cents_low": 0, "cost_cents_high": 0, "hourly_rate_cents": 0}})
    assert response.status_code == 201, response.text
    assert response.json()["estimate"]["cost_cents_high"] == high
    assert (await client.get("/api/v1/budget")).json()["reserved_cents"] == high
