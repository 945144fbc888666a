"""Stage 5 through the jobs service (real NATS and PostgreSQL): every job carries a validation
plan to its trainer, and the trainer's "validating" stage shows on the job."""

from __future__ import annotations

import uuid

import msgspec
import pytest
from support import eventually, training_file

from libs.common.settings import Settings
from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import CreateJob, GetJob, JobQueued, JobStatusChanged, RegisterTrainingFile
from proto.provisioning import InstanceStarted
from proto.training import Completed, StageChanged, TrainingEventReported
from proto.validation import SUITES, ValidationPlan
from services.cost.app import build as build_cost
from services.jobs.app import build
from services.provisioning.domain import build_spec


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build)


async def create(bus, settings, **fields) -> dict:
    key = f"training-files/{uuid.uuid4()}/file.json"
    data = training_file()
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    return await bus.ask(CreateJob(training_file_id=file["id"], **fields))


async def queued(bus, job_id: str) -> JobQueued:
    [event] = [q for q in (decode(b, JobQueued) for b in await bus.stored(JobQueued.subject))
               if str(q.job_id) == job_id]
    return event


async def test_a_job_without_a_plan_validates_all_four_suites_and_an_empty_plan_none(
        jobs, bus, settings):
    default = await create(bus, settings)
    off = await create(bus, settings, validation=ValidationPlan(suites=[]))
    small = await create(bus, settings, validation=ValidationPlan(
        suites=["perplexity", "knowledge_retention"], ei_scenarios=10, max_new_tokens=96))

    assert (await queued(bus, default["id"])).validation == ValidationPlan()
    assert default["validation"]["suites"] == list(SUITES)
    assert (await queued(bus, off["id"])).validation.suites == []
    plan = (await queued(bus, small["id"])).validation
    assert plan.suites == ["perplexity", "knowledge_retention"] and plan.max_new_tokens == 96
    # Provisioning hands the plan to the trainer in its job spec.
    event = await queued(bus, small["id"])
    assert build_spec(event, Settings()).validation == plan


async def test_the_validating_stage_shows_on_the_job_until_completed(jobs, bus, settings):
    job = await create(bus, settings)
    job_id = uuid.UUID(job["id"])
    await bus.publish(InstanceStarted(job_id=job_id, attempt=1, instance_id="i", provider="local"))
    await eventually(lambda: _status_is(bus, job_id, "provisioning"))
    for seq, event in enumerate((
            StageChanged(job_id=job_id, stage="training"),
            StageChanged(job_id=job_id, stage="finalizing", detail="saving the adapter"),
            StageChanged(job_id=job_id, stage="validating", detail="measuring 4 suites"),
            StageChanged(job_id=job_id, stage="validating",
                         detail="emotional intelligence: 8 of 50 scenarios answered"),
    ), 1):
        await bus.publish(TrainingEventReported(event=msgspec.structs.replace(event, seq=seq)))
    validating = await eventually(lambda: _status_is(bus, job_id, "validating"))
    assert validating["status_message"] == "Validating the trained model."

    await bus.publish(TrainingEventReported(event=Completed(
        job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", seq=5)))
    await eventually(lambda: _status_is(bus, job_id, "completed"))
    changes = [e for e in (decode(b, JobStatusChanged) for b in
                           await bus.stored(JobStatusChanged.subject)) if e.job_id == job_id]
    assert [e.status for e in changes] == ["queued", "provisioning", "training", "finalizing",
                                           "validating", "completed"]


async def _status_is(bus, job_id, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None
