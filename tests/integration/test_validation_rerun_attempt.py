"""Issue 12: a validation re-run that needs the model gets an instance (real NATS and
PostgreSQL): the jobs service queues a validation-only attempt of the completed job, shows it
`validating`, and returns it to `completed` with its original adapter, whatever the outcome."""

from __future__ import annotations

import uuid

import msgspec
import pytest
from support import eventually, training_file

from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import CreateJob, GetJob, JobQueued, JobStatusChanged, RegisterTrainingFile
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import Completed, Failed, StageChanged, SuiteMeasured, TrainingEventReported
from proto.validation import ValidationPlan, ValidationRunRequested
from services.cost.app import build as build_cost
from services.jobs.app import build


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build)


async def completed_job(bus, settings) -> tuple[uuid.UUID, str]:
    """A job trained to completion on attempt 1, through the same events a trainer sends."""
    key = f"training-files/{uuid.uuid4()}/file.json"
    data = training_file()
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    job = await bus.ask(CreateJob(training_file_id=file["id"], validation=ValidationPlan(
        ei_scenarios=2, brand_voice_answers=2, max_new_tokens=8)))
    job_id, adapter = uuid.UUID(job["id"]), f"jobs/{job['id']}/adapter"
    await bus.publish(InstanceStarted(job_id=job_id, attempt=1, instance_id="i1",
                                      provider="local"))
    await trainer(bus, StageChanged(job_id=job_id, stage="training", seq=1),
                  Completed(job_id=job_id, adapter_key=adapter, final_loss=1.25, seq=2))
    await eventually(lambda: status_is(bus, job_id, "completed"))
    return job_id, adapter


async def trainer(bus, *events) -> None:
    for event in events:
        await bus.publish(TrainingEventReported(event=event))


async def status_is(bus, job_id: uuid.UUID, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None


async def queued(bus, job_id: uuid.UUID) -> list[JobQueued]:
    return [q for q in (decode(b, JobQueued) for b in await bus.stored(JobQueued.subject))
            if q.job_id == job_id]


async def test_a_rerun_runs_on_a_new_attempt_and_the_job_completes_with_its_adapter(
        jobs, bus, settings):
    job_id, adapter = await completed_job(bus, settings)
    before = await bus.ask(GetJob(job_id=job_id))
    request = ValidationRunRequested(job_id=job_id, run=2, adapter_key=adapter,
                                     suites=["perplexity", "knowledge_retention"])
    await bus.publish(request)
    await bus.publish(request, msg_id=str(uuid.uuid4()))  # redelivered: one attempt only

    validating = await eventually(lambda: status_is(bus, job_id, "validating"))
    assert validating["attempt"] == 2
    assert validating["status_message"] == \
        "Re-running validation: perplexity, knowledge retention"
    assert validating["validation_rerun"]["status"] == "running"
    attempts = await eventually(lambda: _n(queued(bus, job_id), 2))
    rerun = attempts[1]
    assert rerun.attempt == 2 and rerun.resume_from is None
    # The job's own plan sizes, the asked suites, on the stored adapter: training is skipped.
    assert rerun.validation == ValidationPlan(
        suites=["perplexity", "knowledge_retention"], ei_scenarios=2, brand_voice_answers=2,
        max_new_tokens=8, adapter_key=adapter)

    await bus.publish(InstanceStarted(job_id=job_id, attempt=2, instance_id="i2",
                                      provider="local"))
    await trainer(bus, *(msgspec.structs.replace(e, attempt=2, seq=seq) for seq, e in enumerate((
        StageChanged(job_id=job_id, stage="model_loading"),
        StageChanged(job_id=job_id, stage="validating", detail="perplexity"),
        SuiteMeasured(job_id=job_id, suite="perplexity", ok=True, detail_key="k",
                      detail_sha256="0" * 64, duration_s=1.0),
        # What a validation-only trainer reports: the adapter it measured, no steps.
        Completed(job_id=job_id, adapter_key=adapter, steps=0),
    ), 1)))
    await bus.publish(InstanceExited(job_id=job_id, attempt=2, instance_id="i2", exit_code=0))
    done = await eventually(lambda: _rerun_status(bus, job_id, "completed"))
    assert done["status"] == "completed" and done["adapter_key"] == adapter
    assert done["finished_at"] == before["finished_at"]  # training's finish, not the re-run's
    assert done["interruption_history"] is None  # a re-run is no interruption
    assert done["error"] is None
    assert len(await queued(bus, job_id)) == 2
    changes = [(e.status, e.validation_rerun) for e in (decode(b, JobStatusChanged)
                                  for b in await bus.stored(JobStatusChanged.subject))
               if e.job_id == job_id]
    # marked, so notification does not announce a second "job completed"
    assert changes[-2:] == [("validating", True), ("completed", True)]
    assert not any(rerun for _, rerun in changes[:-2])


async def test_a_failed_rerun_leaves_the_job_completed_with_the_validation_marked_failed(
        jobs, bus, settings):
    job_id, adapter = await completed_job(bus, settings)
    await bus.publish(ValidationRunRequested(job_id=job_id, run=2, adapter_key=adapter,
                                             suites=["perplexity"]))
    await eventually(lambda: status_is(bus, job_id, "validating"))
    await trainer(bus, Failed(job_id=job_id, attempt=2, seq=1, failure_class="out_of_memory",
                              message="CUDA out of memory while measuring perplexity"))
    await bus.publish(InstanceExited(job_id=job_id, attempt=2, instance_id="i2", exit_code=1))
    job = await eventually(lambda: _rerun_status(bus, job_id, "failed"))
    assert job["status"] == "completed" and job["adapter_key"] == adapter
    assert "CUDA out of memory" in job["validation_rerun"]["message"]
    assert job["status_message"].startswith("Validation re-run failed")
    assert job["error"] is None and job["interruption_history"] is None


async def test_a_rerun_of_a_job_that_is_not_completed_queues_nothing(jobs, bus, settings):
    key = f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, training_file())
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=1))
    job = await bus.ask(CreateJob(training_file_id=file["id"]))
    job_id = uuid.UUID(job["id"])
    await bus.publish(ValidationRunRequested(job_id=job_id, run=1, adapter_key="x",
                                             suites=["perplexity"]))
    # A later request that is handled proves the first one was (and queued nothing).
    other, adapter = await completed_job(bus, settings)
    await bus.publish(ValidationRunRequested(job_id=other, run=2, adapter_key=adapter,
                                             suites=["perplexity"]))
    await eventually(lambda: status_is(bus, other, "validating"))
    assert len(await queued(bus, job_id)) == 1
    still = await bus.ask(GetJob(job_id=job_id))
    assert still["status"] == "queued" and still["attempt"] == 1
    assert still["validation_rerun"] is None


async def _n(items, n: int):
    items = await items
    return items if len(items) == n else None


async def _rerun_status(bus, job_id: uuid.UUID, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if (job.get("validation_rerun") or {}).get("status") == status else None
