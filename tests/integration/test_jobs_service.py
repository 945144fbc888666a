"""The jobs service against real NATS and PostgreSQL: files, jobs, lifecycle, idempotency."""

from __future__ import annotations

import uuid

import pytest
from support import eventually, training_file

from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import (
    CancelJob,
    CreateJob,
    FaultInjection,
    GetJob,
    GetTrainingFile,
    HyperparameterOverrides,
    JobCancelled,
    JobQueued,
    JobStatusChanged,
    ListJobs,
    ListPresets,
    ListTrainingFiles,
    RegisterTrainingFile,
)
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import Completed, Failed, Progress, StageChanged, TrainingEventReported
from services.cost.app import build as build_cost
from services.jobs.app import build


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build)


async def register(bus, settings, data: bytes, filename: str = "file.json") -> dict:
    key = f"training-files/{uuid.uuid4()}/{filename}"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    return await bus.ask(RegisterTrainingFile(storage_key=key, filename=filename,
                                              size_bytes=len(data)))


async def create(bus, settings, **fields) -> dict:
    file = await register(bus, settings, training_file())
    return await bus.ask(CreateJob(training_file_id=file["id"], **fields))


async def statuses(bus, job_id: str) -> list[str]:
    return [e.status for e in (decode(b, JobStatusChanged) for b in
                               await bus.stored(JobStatusChanged.subject))
            if str(e.job_id) == job_id]


async def test_registered_file_reports_stats_and_eligibility(jobs, bus, settings):
    file = await register(bus, settings, training_file(conversations=55))
    assert file["conversation_count"] == 55
    assert file["stats"]["usable_pair_count"] == 55
    assert file["stats"]["null_target_count"] == 55
    assert file["eligibility"]["eligible"] is True
    assert (await bus.ask(GetTrainingFile(training_file_id=file["id"])))["name"] == "test-file"


async def test_file_with_too_few_conversations_is_stored_but_not_eligible(jobs, bus, settings):
    file = await register(bus, settings, training_file(conversations=10))
    assert file["eligibility"]["eligible"] is False
    codes = [p["code"] for p in file["eligibility"]["problems"]]
    assert "too_few_conversations" in codes


async def test_broken_json_is_rejected_with_position_and_leaves_nothing_behind(jobs, bus, settings):
    data = b'{"training_file_metadata": {"n": 3\\, "m": 1}, "conversations": []}'
    key = "training-files/broken/broken.json"
    store = open_store(settings.resolved_storage_url)
    store.put_bytes(key, data)
    error = await bus.ask_error(RegisterTrainingFile(storage_key=key, filename="broken.json",
                                                     size_bytes=len(data)))
    assert error.error.code == "invalid_json"
    assert error.error.details["line"] == 1 and error.error.details["column"] == 35
    assert not store.exists(key)
    assert await bus.ask(ListTrainingFiles()) == []


async def test_files_are_listed_newest_first_and_searchable(jobs, bus, settings):
    first = await register(bus, settings, training_file(), "alpha.json")
    second = await register(bus, settings, training_file(), "beta.json")
    listed = await bus.ask(ListTrainingFiles())
    assert [f["id"] for f in listed] == [second["id"], first["id"]]
    assert [f["filename"] for f in await bus.ask(ListTrainingFiles(q="alp"))] == ["alpha.json"]


async def test_presets_default_to_balanced(jobs, bus):
    presets = await bus.ask(ListPresets())
    assert [p["name"] for p in presets] == ["conservative", "balanced", "aggressive"]
    assert [p["lora"]["r"] for p in presets] == [8, 16, 32]
    assert [p["name"] for p in presets if p["is_default"]] == ["balanced"]


async def test_created_job_is_queued_named_and_announced(jobs, bus, settings):
    job = await create(bus, settings, tags=["experiment"], notes="first try")
    assert job["status"] == "queued"
    assert job["name"].startswith("test-file - Balanced - ")
    assert job["lora"]["r"] == 16 and job["tags"] == ["experiment"]
    queued = [decode(b, JobQueued) for b in await bus.stored(JobQueued.subject)]
    assert [str(q.job_id) for q in queued] == [job["id"]]


async def test_several_gpus_are_kept_and_queued_and_the_cpu_counts_as_one(jobs, bus, settings):
    job = await create(bus, settings, gpu_type="H100-80GB", gpu_count=2)
    assert job["gpu_count"] == 2
    [queued] = [decode(b, JobQueued) for b in await bus.stored(JobQueued.subject)]
    assert queued.gpu_count == 2 and queued.gpu_type == "H100-80GB"
    file = await register(bus, settings, training_file())
    error = await bus.ask_error(CreateJob(training_file_id=file["id"], gpu_count=2))
    assert error.error.code == "invalid_gpu_count" and error.error.status == 422


async def test_duplicate_job_name_gets_a_timestamp(jobs, bus, settings):
    file = await register(bus, settings, training_file())
    first = await bus.ask(CreateJob(training_file_id=file["id"], name="Run A"))
    second = await bus.ask(CreateJob(training_file_id=file["id"], name="Run A"))
    assert first["name"] == "Run A"
    assert second["name"].startswith("Run A (") and second["name"] != first["name"]


async def test_out_of_range_hyperparameter_is_rejected_with_the_range(jobs, bus, settings):
    file = await register(bus, settings, training_file())
    error = await bus.ask_error(CreateJob(training_file_id=file["id"],
                                          overrides=HyperparameterOverrides(learning_rate=5.0)))
    assert error.error.code == "invalid_hyperparameter"
    assert "learning_rate" in error.error.message and "0.01" in error.error.message
    assert await bus.ask(ListJobs()) == []


async def test_unknown_preset_and_ineligible_file_are_rejected(jobs, bus, settings):
    file = await register(bus, settings, training_file())
    error = await bus.ask_error(CreateJob(training_file_id=file["id"], preset="turbo"))
    assert error.error.code == "unknown_preset" and error.error.status == 422
    small = await register(bus, settings, training_file(conversations=3))
    error = await bus.ask_error(CreateJob(training_file_id=small["id"]))
    assert error.error.code == "training_file_not_eligible"
    error = await bus.ask_error(GetJob(job_id=uuid.uuid4()))
    assert error.error.status == 404


async def test_trainer_events_drive_the_lifecycle_to_completed(jobs, bus, settings):
    job = await create(bus, settings)
    job_id = uuid.UUID(job["id"])
    await bus.publish(InstanceStarted(job_id=job_id, attempt=1, instance_id="i", provider="local"))
    # Streams are ordered each on its own, not across each other: wait as the trainer would.
    await eventually(lambda: _status_is(bus, job_id, "provisioning"))
    for event in (StageChanged(job_id=job_id, stage="preprocessing", seq=1),
                  StageChanged(job_id=job_id, stage="model_loading", seq=2),
                  Progress(job_id=job_id, step=1, total_steps=2, epoch=0.5, loss=2.0,
                           learning_rate=1e-4, seq=3),
                  Completed(job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", seq=4)):
        await bus.publish(TrainingEventReported(event=event))
    done = await eventually(lambda: _status_is(bus, job_id, "completed"))
    assert done["adapter_key"] == f"jobs/{job_id}/adapter"
    assert await statuses(bus, job["id"]) == [
        "queued", "provisioning", "preprocessing", "model_loading", "training", "finalizing",
        "completed"]


async def test_redelivered_event_is_applied_once(jobs, bus, settings):
    job = await create(bus, settings)
    job_id = uuid.UUID(job["id"])
    event = TrainingEventReported(event=StageChanged(job_id=job_id, stage="preprocessing"))
    # Two publishes with different message ids get past JetStream's de-duplication, as a
    # redelivery after a crash would; the service's inbox must still apply it once.
    await bus.publish(event, msg_id="first")
    await bus.publish(event, msg_id="second")
    await bus.publish(TrainingEventReported(event=StageChanged(job_id=job_id, stage="training")))
    await eventually(lambda: _status_is(bus, job_id, "training"))
    assert await statuses(bus, job["id"]) == ["queued", "preprocessing", "training"]


async def test_trainer_failure_keeps_class_message_and_fix(jobs, bus, settings):
    job = await create(bus, settings)
    job_id = uuid.UUID(job["id"])
    await bus.publish(TrainingEventReported(event=Failed(
        job_id=job_id, failure_class="out_of_memory", message="Ran out of memory at step 3.",
        suggested_fix="Halve the micro-batch, double accumulation.",
        suggested_changes={"micro_batch_size": 2, "grad_accumulation": 8})))
    failed = await eventually(lambda: _status_is(bus, job_id, "failed"))
    assert failed["error"]["failure_class"] == "out_of_memory"
    assert failed["error"]["suggested_changes"] == {"micro_batch_size": 2, "grad_accumulation": 8}


async def test_trainer_exit_after_a_failure_fails_the_job(jobs, bus, settings):
    # Exit code 1: the trainer gave up and reported why (a kill, -9, is an interruption:
    # tests/integration/test_job_recovery.py).
    job = await create(bus, settings)
    job_id = uuid.UUID(job["id"])
    await bus.publish(InstanceExited(job_id=job_id, attempt=1, instance_id="i", exit_code=1))
    failed = await eventually(lambda: _status_is(bus, job_id, "failed"))
    assert "exit code 1" in failed["status_message"]


async def test_cancel_announces_it_and_a_second_cancel_is_refused(jobs, bus, settings):
    job = await create(bus, settings)
    cancelled = await bus.ask(CancelJob(job_id=job["id"], reason="wrong file"))
    assert cancelled["status"] == "cancelled" and cancelled["status_message"] == "wrong file"
    events = [decode(b, JobCancelled) for b in await bus.stored(JobCancelled.subject)]
    assert [e.reason for e in events] == ["wrong file"]
    error = await bus.ask_error(CancelJob(job_id=job["id"]))
    assert error.error.code == "job_not_cancellable" and error.error.status == 409


async def _status_is(bus, job_id, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None


async def test_fault_injection_is_refused_unless_an_operator_allowed_it(start_service, bus, settings):
    await start_service(build)  # allow_fault_injection defaults to off
    await start_service(build_cost)
    file = await register(bus, settings, training_file())
    error = await bus.ask_error(CreateJob(training_file_id=file["id"],
                                          fault_injection=FaultInjection(at_steps=[2])))
    assert error.error.status == 422 and error.error.code == "fault_injection_disabled"
    assert "BRIGHTRUN_ALLOW_FAULT_INJECTION=1" in error.error.how_to_fix
    assert await bus.stored(JobQueued.subject) == []


async def test_fault_injection_is_queued_where_an_operator_allowed_it(start_service, bus, settings):
    await start_service(build, allow_fault_injection=True)
    await start_service(build_cost)
    job = await create(bus, settings, fault_injection=FaultInjection(at_steps=[2]))
    [queued] = [decode(b, JobQueued) for b in await bus.stored(JobQueued.subject)]
    assert str(queued.job_id) == job["id"] and queued.fault_injection.at_steps == [2]


async def test_a_gpu_job_without_a_gpu_provider_is_refused_and_a_cpu_job_is_not(start_service, bus,
                                                                                settings):
    await start_service(build, simulate_gpus_locally=False)  # provider "local", no RunPod
    await start_service(build_cost)
    file = await register(bus, settings, training_file())
    error = await bus.ask_error(CreateJob(training_file_id=file["id"], gpu_type="H100-80GB"))
    assert error.error.status == 422 and error.error.code == "no_gpu_provider"
    assert "BRIGHTRUN_PROVIDER=runpod" in error.error.how_to_fix
    assert await bus.stored(JobQueued.subject) == []
    job = await bus.ask(CreateJob(training_file_id=file["id"], gpu_type="cpu"))
    assert job["gpu_type"] == "cpu"
