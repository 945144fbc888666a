"""A GPU job as the user sees it, with jobs and provisioning on the RunPod provider: real NATS
and PostgreSQL, the fake RunPod API (tests/fakes) standing in for RunPod."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import urlsplit

import msgspec
import pytest
from fakes.runpod_api import CAPACITY_ERRORS
from support import eventually, training_file

from libs.common.storage import open_store
from libs.common.storage_grants import StorageGrants
from proto.base import decode
from proto.jobs import ChooseGpuOption, CreateJob, GetJob, GpuUnavailable, RegisterTrainingFile
from proto.training import TrainingJobSpec
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.provisioning.app import build as build_provisioning
from services.provisioning.runpod_provider import SPEC_ENV

H100 = "NVIDIA H100 PCIe"


@pytest.fixture
async def services(start_service, fake):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    await start_service(build_provisioning, provider="runpod", runpod_api_key=fake.api_key,
                        runpod_api_url=fake.url, runpod_poll_s=0.1)


async def create_gpu_job(bus, settings, pricing: str = "spot") -> uuid.UUID:
    data, key = training_file(), f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    job = await bus.ask(CreateJob(training_file_id=file["id"], gpu_type="H100-80GB",
                                  pricing=pricing))
    return uuid.UUID(job["id"])


def status_is(bus, job_id: uuid.UUID, status: str):
    async def check():
        job = await bus.ask(GetJob(job_id=job_id))
        return job if job["status"] == status else None
    return check


async def test_gpu_job_shows_provisioning_with_gpu_and_tier(services, bus, settings, fake):
    job_id = await create_gpu_job(bus, settings)
    job = await eventually(status_is(bus, job_id, "provisioning"))
    # UJ2.1.1: the stage, the GPU type and the pricing tier, and the expected wait.
    assert "H100-80GB spot on RunPod" in job["status_message"]
    assert "~2-5 minutes" in job["status_message"]
    assert len(fake.created) == 1


async def test_a_pod_is_given_a_grant_for_its_own_files_never_the_storage_keys(
        services, bus, settings, fake):
    job_id = await create_gpu_job(bus, settings)
    await eventually(status_is(bus, job_id, "provisioning"))
    env = fake.pod_env(fake.created[0]["id"])
    assert not any(settings.resolved_storage_url in value for value in env.values())
    spec = msgspec.json.decode(base64.b64decode(env[SPEC_ENV]), type=TrainingJobSpec)
    url = urlsplit(spec.storage.url)
    assert url.scheme == "brightrun+http" and url.path == f"/api/v1/job-storage/{job_id}"
    grant = StorageGrants(settings.webhook_secret).open(url.password or "", job_id)
    assert grant.read == (spec.training_file_key,) and grant.write == (f"jobs/{job_id}/",)


async def test_preempted_pod_recovers_the_job_on_a_new_pod(services, bus, settings, fake):
    job_id = await create_gpu_job(bus, settings)
    await eventually(status_is(bus, job_id, "provisioning"))
    first_pod = fake.created[0]["id"]
    fake.preempt(first_pod)
    await eventually(lambda: len(fake.created) == 2)
    job = await bus.ask(GetJob(job_id=job_id))
    assert job["attempt"] == 2
    assert fake.terminated == [first_pod] and fake.live_pods() == [fake.created[1]["id"]]



async def test_a_recovery_that_finds_no_gpu_waits_instead_of_spending_a_failed_recovery(
        services, bus, settings, fake):
    job_id = await create_gpu_job(bus, settings)
    await eventually(status_is(bus, job_id, "provisioning"))
    fake.set_stock(H100, False, wording=CAPACITY_ERRORS[3])  # "This machine does not have..."
    fake.preempt(fake.created[0]["id"])
    job = await eventually(status_is(bus, job_id, "waiting_for_gpu"))
    assert job["attempt"] == 2 and "No H100-80GB spot instances" in job["status_message"]
    [offer] = await eventually(lambda: stored(bus, GpuUnavailable, job_id))
    assert offer.attempt == 2 and "on_demand" in offer.options
    [interruption] = job["interruption_history"]["items"]
    assert not interruption.get("recovery_failed")  # nothing was tried: nothing failed
    fake.set_stock(H100, True)
    await bus.ask(ChooseGpuOption(job_id=job_id, choice="on_demand"))
    await eventually(lambda: len(fake.created) == 2)
    assert fake.created[1]["mutation"] == "podFindAndDeployOnDemand"
    assert fake.live_pods() == [fake.created[1]["id"]]


async def stored(bus, kind, job_id: uuid.UUID) -> list:
    return [e for e in (decode(b, kind) for b in await bus.stored(kind.subject))
            if e.job_id == job_id]
