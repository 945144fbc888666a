"""The jobs service's recovery paths against real NATS and PostgreSQL: interruptions (UJ4.1),
retry (UJ4.2.2), resume from a checkpoint (UJ4.3.2), stuck stages (UJ3.3.1)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from support import eventually, training_file, write_checkpoint

from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import (
    CancelJob,
    CreateJob,
    GetJob,
    HyperparameterOverrides,
    JobCancelled,
    JobQueued,
    RegisterTrainingFile,
    ResumeJob,
    RetryJob,
    StageStuck,
)
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import Failed, Heartbeat, Progress, StageChanged, TrainingEventReported
from services.cost.app import build as build_cost
from services.jobs.app import build


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build, heartbeat_timeout_s=2.0)


async def create(bus, settings, **fields) -> dict:
    data = training_file()
    key = f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    return await bus.ask(CreateJob(training_file_id=file["id"], **fields))


async def trainer(bus, job_id, *events) -> None:
    for event in events:
        await bus.publish(TrainingEventReported(event=event))


def progress(job_id, step: int, attempt: int = 1) -> Progress:
    return Progress(job_id=job_id, attempt=attempt, step=step, total_steps=20, epoch=0.1,
                    loss=2.0, learning_rate=1e-4, seq=step)


async def job_where(bus, job_id, check, timeout_s: float = 15.0) -> dict:
    async def probe():
        job = await bus.ask(GetJob(job_id=job_id))
        return job if check(job) else None

    return await eventually(probe, timeout_s)


async def queued(bus, job_id) -> list[JobQueued]:
    return [q for q in (decode(b, JobQueued) for b in await bus.stored(JobQueued.subject))
            if q.job_id == job_id]


async def training_job(bus, settings, step: int, **fields) -> uuid.UUID:
    job_id = uuid.UUID((await create(bus, settings, **fields))["id"])
    await trainer(bus, job_id, StageChanged(job_id=job_id, stage="training", seq=1),
                  *(progress(job_id, s) for s in range(1, step + 1)))
    await job_where(bus, job_id, lambda j: j["status"] == "training")
    return job_id


def resumed_training(job: dict) -> bool:
    """The new attempt's first step is applied: its StageChanged alone already says "training",
    and may land in a batch of its own before the step that closes the interruption."""
    items = (job["interruption_history"] or {}).get("items") or []
    return job["status"] == "training" and bool(items) and items[0]["downtime_s"] is not None


async def test_instance_exit_minus_9_recovers_on_a_new_attempt_from_the_checkpoint(
        jobs, bus, settings):
    # The exit provisioning reports for a SIGKILLed trainer; no process is killed here.
    job_id = await training_job(bus, settings, step=5)
    await bus.publish(InstanceExited(job_id=job_id, attempt=1, instance_id="i", exit_code=-9))
    job = await job_where(bus, job_id, lambda j: j["status"] == "recovering")
    # The step is the last one this service had heard of; progress still in flight from
    # the lost attempt corrects the history below.
    assert job["status_message"].startswith("Training interrupted at step ")
    assert job["status_message"].endswith(". Auto-recovering…")
    assert job["attempt"] == 2
    assert [q.attempt for q in await queued(bus, job_id)] == [1, 2]

    await trainer(bus, job_id, StageChanged(job_id=job_id, attempt=2, stage="preprocessing"),
                  StageChanged(job_id=job_id, attempt=2, stage="training", resumed_from_step=4),
                  progress(job_id, 5, attempt=2))
    job = await job_where(bus, job_id, resumed_training)
    history = job["interruption_history"]
    assert history["summary"] == "Interrupted 1x (auto-recovered)"
    [item] = history["items"]
    assert (item["step"], item["resumed_from_step"], item["steps_lost"]) == (5, 4, 1)
    assert item["downtime_s"] >= 0


async def test_sigterm_report_is_an_interruption_that_loses_no_work(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=7)
    await trainer(bus, job_id, Failed(job_id=job_id, failure_class="interrupted", step=7,
                                      message="stopped by SIGTERM after step 7"))
    job = await job_where(bus, job_id, lambda j: j["status"] == "recovering")
    assert job["status_message"] == "Training interrupted at step 7. Auto-recovering…"
    await trainer(bus, job_id,
                  StageChanged(job_id=job_id, attempt=2, stage="training", resumed_from_step=7),
                  progress(job_id, 8, attempt=2))
    job = await job_where(bus, job_id, resumed_training)
    assert job["interruption_history"]["items"][0]["steps_lost"] == 0
    assert job["error"] is None


async def test_three_failed_recoveries_fail_the_job_and_offer_on_demand(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=3)
    for attempt in (1, 2, 3, 4):  # attempts 2-4 die before training a single step
        await bus.publish(InstanceExited(job_id=job_id, attempt=attempt, instance_id="i",
                                         exit_code=-9))
        await job_where(bus, job_id, lambda j, a=attempt: j["attempt"] > a or
                        j["status"] == "failed")
    job = await job_where(bus, job_id, lambda j: j["status"] == "failed")
    assert job["error"]["failure_class"] == "interrupted"
    assert "Recovery failed 3 times in a row" in job["error"]["message"]
    assert job["error"]["suggested_changes"] == {"pricing": "on_demand"}
    assert job["interruption_history"]["summary"] == "Interrupted 4x (recovery failed)"
    assert [q.attempt for q in await queued(bus, job_id)] == [1, 2, 3, 4]


async def test_a_silent_trainer_is_taken_as_lost_and_recovered(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=2)
    await trainer(bus, job_id, Heartbeat(job_id=job_id, step=2))
    # heartbeat_timeout_s=2 here; 20 s by default, within UJ4.1.1's 30 s
    job = await job_where(bus, job_id, lambda j: j["status"] == "recovering")
    assert job["interruption_history"]["items"][0]["cause"].startswith("heartbeat lost")


async def test_a_stage_past_twice_its_expected_duration_raises_one_warning(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=1)
    # The cost service estimated minutes; a training stage expected to take a second makes
    # the watchdog's warning due at once (the estimate is the jobs service's own column).
    async with await psycopg.AsyncConnection.connect(
            settings.database_url, options="-c search_path=jobs") as conn:
        await conn.execute("UPDATE jobs SET estimate = estimate || '{\"duration_s_high\": 1}' "
                           "WHERE id = %s", (job_id,))
        await conn.commit()

    async def warnings():  # the trainer is alive (it beats), just slow
        await trainer(bus, job_id, Heartbeat(job_id=job_id, step=1))
        return [w for w in (decode(b, StageStuck) for b in await bus.stored(StageStuck.subject))
                if w.job_id == job_id]

    [warning] = await eventually(warnings, interval_s=0.5)
    assert warning.stage == "training" and warning.elapsed_s > 2 * warning.expected_s
    assert "more than twice" in warning.message


async def test_retry_applies_the_suggested_fix_and_links_to_the_parent(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=3)
    await trainer(bus, job_id, Failed(
        job_id=job_id, failure_class="out_of_memory", message="Ran out of memory.",
        suggested_changes={"micro_batch_size": 2, "grad_accumulation": 8}))
    parent = await job_where(bus, job_id, lambda j: j["status"] == "failed")
    plan = await bus.ask(RetryJob(job_id=job_id, dry_run=True))
    assert {c["field"]: (c["before"], c["after"]) for c in plan["changes"]} == {
        "micro_batch_size": (4, 2), "grad_accumulation": (4, 8)}

    child = await bus.ask(RetryJob(job_id=job_id))
    assert child["parent_job_id"] == str(job_id) and child["status"] == "queued"
    assert child["hyperparameters"]["micro_batch_size"] == 2
    assert child["notes"] == (f"Retry of {parent['name']} with batch_size reduced, "
                              f"grad_accumulation increased")
    assert child["lineage"]["kind"] == "retry" and len(child["lineage"]["changes"]) == 2
    assert len(await queued(bus, uuid.UUID(child["id"]))) == 1


async def test_retry_is_refused_for_a_live_job_and_a_bad_suggestion(jobs, bus, settings):
    job_id = await training_job(bus, settings, step=1)
    assert (await bus.ask_error(RetryJob(job_id=job_id))).error.code == "job_not_retryable"
    await trainer(bus, job_id, Failed(job_id=job_id, failure_class="nan_loss", message="NaN",
                                      suggested_changes={"learning_rate": 0.5}))
    await job_where(bus, job_id, lambda j: j["status"] == "failed")
    error = (await bus.ask_error(RetryJob(job_id=job_id))).error
    assert error.code == "invalid_hyperparameter" and "apply_suggested" in error.how_to_fix
    manual = await bus.ask(RetryJob(job_id=job_id, apply_suggested=False,
                                    overrides=HyperparameterOverrides(learning_rate=1e-5)))
    assert manual["notes"].endswith("with learning_rate reduced")


async def test_resume_validates_the_checkpoint_and_starts_a_linked_job(jobs, bus, settings):
    store = open_store(settings.resolved_storage_url)
    job_id = await training_job(bus, settings, step=8)
    assert (await bus.ask_error(ResumeJob(job_id=job_id))).error.code == "job_not_resumable"
    parent = await bus.ask(CancelJob(job_id=job_id, reason="Testing"))
    assert (await bus.ask_error(ResumeJob(job_id=job_id))).error.code == "no_checkpoints"
    write_checkpoint(store, job_id, 4)
    newest = write_checkpoint(store, job_id, 8)
    store.put_bytes(f"{newest}/trainer_state.json", b"tampered")

    error = (await bus.ask_error(ResumeJob(job_id=job_id))).error
    assert (error.code, error.status) == ("checkpoint_corrupt", 422)
    assert "trainer_state.json does not match its checksum" in error.message
    assert error.details["available_steps"] == [4]
    error = (await bus.ask_error(ResumeJob(job_id=job_id, checkpoint_step=4,
                                           overrides=HyperparameterOverrides(r=64)))).error
    assert error.code == "not_editable_on_resume" and error.details["fields"] == ["r"]

    child = await bus.ask(ResumeJob(job_id=job_id, checkpoint_step=4, pricing="on_demand"))
    assert child["parent_job_id"] == str(job_id) and child["pricing"] == "on_demand"
    assert child["notes"] == f"Resumed from {parent['name']} at step 4"
    assert child["lineage"]["checkpoint_step"] == 4
    [event] = await queued(bus, uuid.UUID(child["id"]))
    assert event.resume_from == f"jobs/{child['id']}/checkpoints/step-00000004"
    assert store.get_bytes(f"{event.resume_from}/trainer_state.json") == b'{"step": 4}'


async def test_an_instance_started_after_cancel_is_stopped_too(jobs, bus, settings):
    job = await create(bus, settings)
    await bus.ask(CancelJob(job_id=job["id"], reason="Too expensive"))
    await bus.publish(InstanceStarted(job_id=uuid.UUID(job["id"]), attempt=1, instance_id="i",
                                      provider="local"))

    async def cancels():
        events = [decode(b, JobCancelled) for b in await bus.stored(JobCancelled.subject)]
        return len([e for e in events if str(e.job_id) == job["id"]]) == 2 or None

    await eventually(cancels)
