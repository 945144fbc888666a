"""UJ2.1.2: no GPU to rent. The job waits and the user chooses, one gateway call each:
auto-retry, switch to on-demand, or cancel. Jobs, provisioning (RunPod provider) and monitoring
on real NATS and PostgreSQL, the fake RunPod API (tests/fakes) with no spot capacity."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from support import eventually, running_gateway
from test_runpod_jobs import create_gpu_job, status_is

from proto.base import decode
from proto.jobs import GetJob, GpuChoiceMade, GpuUnavailable
from proto.monitoring import GetEventLog
from proto.provisioning import InstanceFailedToStart
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.provisioning.app import build as build_provisioning

H100 = "NVIDIA H100 PCIe"
RETRY_EVERY_S = 0.5  # stands for UJ2.1.2's 5 minutes


@pytest.fixture
def start_stack(start_service, fake):
    async def start(retry_limit_s: float = 60.0) -> None:
        await start_service(build_jobs, gpu_retry_interval_s=RETRY_EVERY_S,
                            gpu_retry_limit_s=retry_limit_s)
        await start_service(build_provisioning, provider="runpod", runpod_api_key=fake.api_key,
                            runpod_api_url=fake.url, runpod_poll_s=0.1, gpu_price_ttl_s=0.1)
        await start_service(build_monitoring)
        await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return start


@pytest.fixture
async def client(settings):
    async with running_gateway(settings) as test_client:
        yield test_client


async def choose(client, job_id, choice: str):
    """The user's one call, as the console makes it."""
    return await asyncio.to_thread(client.post, f"/api/v1/jobs/{job_id}/gpu-choice",
                                   json={"choice": choice})


async def waiting_job(bus, settings, fake) -> dict:
    fake.set_stock(H100, False, spot_only=True)
    job_id = await create_gpu_job(bus, settings)
    return await eventually(status_is(bus, job_id, "waiting_for_gpu"))


@pytest.fixture
def chosen(start_stack, bus, settings, fake, client):
    """A job that found no spot GPU, then the user's choice: (job, the call's answer)."""
    async def make(choice: str, retry_limit_s: float = 60.0) -> tuple[dict, dict]:
        await start_stack(retry_limit_s)
        job = await waiting_job(bus, settings, fake)
        response = await choose(client, job["id"], choice)
        assert response.status_code == 200, response.text
        return job, response.json()
    return make


async def stored(bus, event_type, job_id) -> list:
    events = [decode(b, event_type) for b in await bus.stored(event_type.subject)]
    return [e for e in events if str(e.job_id) == str(job_id)]


async def logged(bus, job_id, kind: str) -> list[dict]:
    async def probe():
        log = await bus.ask(GetEventLog(job_id=uuid.UUID(str(job_id)), limit=500))
        return [e for e in log["events"] if e["kind"] == kind]
    return await eventually(probe)


async def test_no_spot_gpu_waits_with_the_three_options(start_stack, bus, settings, fake):
    await start_stack()
    job = await waiting_job(bus, settings, fake)
    assert "No H100-80GB spot instances are currently available" in job["status_message"]
    assert job["gpu_wait"]["tries"] == 1 and job["gpu_wait"]["choice"] is None
    [offer] = await eventually(lambda: stored(bus, GpuUnavailable, job["id"]))
    assert offer.options == ["auto_retry", "on_demand", "cancel"]
    assert offer.recommended == "on_demand"
    [entry] = await logged(bus, job["id"], "gpu_unavailable")
    assert entry["category"] == "warning" and "recommended: on_demand" in entry["message"]
    assert fake.created == []


async def test_auto_retry_gets_the_gpu_once_capacity_returns(chosen, bus, fake):
    job, answer = await chosen("auto_retry")
    assert answer["status_message"].startswith("Retrying automatically every 0.5 seconds")

    async def tried_twice_more():  # each try that finds nothing is a failed start
        return len(await stored(bus, InstanceFailedToStart, job["id"])) >= 3
    await eventually(tried_twice_more)
    assert fake.created == []
    fake.set_stock(H100, True, spot_only=True)

    started = await eventually(status_is(bus, uuid.UUID(job["id"]), "provisioning"))
    assert [p["mutation"] for p in fake.created] == ["podRentInterruptable"]
    assert started["pricing"] == "spot" and started["attempt"] >= 4
    assert started["gpu_wait"]["choice"] == "auto_retry"
    assert [c["choice"] for c in started["gpu_wait"]["choices"]] == ["auto_retry"]
    [entry] = await logged(bus, job["id"], "gpu_choice")
    assert entry["message"].startswith("Chosen: auto retry.")


async def test_switch_to_on_demand_provisions_an_on_demand_pod(chosen, bus, fake, client):
    job, answer = await chosen("on_demand")
    assert answer["pricing"] == "on_demand"

    started = await eventually(status_is(bus, uuid.UUID(job["id"]), "provisioning"))
    assert "H100-80GB on-demand on RunPod" in started["status_message"]
    assert [p["mutation"] for p in fake.created] == ["podFindAndDeployOnDemand"]
    assert [c["choice"] for c in started["gpu_wait"]["choices"]] == ["on_demand"]
    [made] = await stored(bus, GpuChoiceMade, job["id"])
    assert made.choice == "on_demand"
    again = await choose(client, job["id"], "cancel")  # the wait is over: no options left
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_not_waiting_for_gpu"


async def test_cancel_while_waiting_ends_the_job_and_records_why(chosen, bus, fake, settings,
                                                                client):
    job, _ = await chosen("cancel")
    cancelled = await bus.ask(GetJob(job_id=uuid.UUID(job["id"])))
    assert cancelled["status"] == "cancelled"
    assert cancelled["status_message"] == "Cancelled while waiting for a GPU; try again later."
    assert [c["choice"] for c in cancelled["gpu_wait"]["choices"]] == ["cancel"]
    [entry] = await logged(bus, job["id"], "gpu_choice")
    assert entry["message"].startswith("Chosen: cancel.")
    # Proof the retry pass went round since: a job that waits after it, on auto retry, was
    # tried again (one pass retries every job due, this one's would have come first).
    later = await waiting_job(bus, settings, fake)
    assert (await choose(client, later["id"], "auto_retry")).status_code == 200

    async def later_retried() -> bool:
        return len(await stored(bus, InstanceFailedToStart, later["id"])) >= 2
    await eventually(later_retried)
    assert fake.created == [] and len(await stored(bus, InstanceFailedToStart, job["id"])) == 1


async def test_auto_retry_gives_up_after_its_limit_with_a_clear_message(chosen, bus, fake):
    job, _ = await chosen("auto_retry", retry_limit_s=2.0)  # 2 s stands for UJ2.1.2's hour
    failed = await eventually(status_is(bus, uuid.UUID(job["id"]), "failed"), timeout_s=20)
    tries = failed["gpu_wait"]["tries"]
    assert tries >= 3  # the first, then one every 0.5 s inside the 2 s
    assert failed["error"]["message"] == (
        f"No H100-80GB spot GPU became available within 2 seconds of automatic retries "
        f"({tries} tries). The job has stopped.")
    assert failed["error"]["suggested_changes"] == {"pricing": "on_demand"}
    assert fake.created == []


async def test_choices_that_no_longer_apply_are_refused(start_stack, bus, settings, fake,
                                                        client):
    await start_stack()
    fake.set_stock(H100, False)  # nothing at all: on-demand finds nothing either
    job_id = await create_gpu_job(bus, settings)
    await eventually(status_is(bus, job_id, "waiting_for_gpu"))
    assert (await choose(client, job_id, "on_demand")).status_code == 200

    async def waiting_again():
        job = await bus.ask(GetJob(job_id=job_id))
        return job if job["gpu_wait"]["tries"] == 2 else None
    job = await eventually(waiting_again)
    assert job["status"] == "waiting_for_gpu" and job["pricing"] == "on_demand"
    refused = await choose(client, job_id, "on_demand")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["options"] == ["auto_retry", "cancel"]
    async def second_offer():
        offers = await stored(bus, GpuUnavailable, job_id)
        return offers[1] if len(offers) == 2 else None
    offer = await eventually(second_offer)
    assert offer.options == ["auto_retry", "cancel"] and offer.recommended == "auto_retry"
