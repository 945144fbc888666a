"""UJ1.2.1 / UJ1.2.2 / UJ2.1.2: the success rates, interruption rates and GPU return times the
console shows come from this installation's own finished jobs. The jobs service on real NATS
and PostgreSQL, each job driven by the events provisioning and the trainer send."""

from __future__ import annotations

import uuid

import pytest
from finished_jobs import finish_job, status_is
from support import eventually
from test_jobs_service import create

from proto.jobs import CancelJob, ChooseGpuOption, GetJob, GetJobHistory, ListPresets
from proto.provisioning import InstanceFailedToStart, InstanceStarted
from services.cost.app import build as build_cost
from services.jobs.app import build


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build, gpu_retry_interval_s=0.3)


def by_name(presets: list[dict]) -> dict[str, dict]:
    return {p["name"]: p for p in presets}


async def test_presets_have_no_history_until_jobs_finish(jobs, bus):
    presets = by_name(await bus.ask(ListPresets()))
    assert presets["balanced"]["success"] == {"rate_pct": None, "part": 0, "count": 0,
                                              "text": "no history yet"}
    history = await bus.ask(GetJobHistory())
    assert history["spot_interruption"]["text"] == "no history yet"
    assert history["gpu_types"] == {}


async def test_success_rate_counts_completed_and_failed_not_cancelled(jobs, bus, settings):
    done = await create(bus, settings)
    await finish_job(bus, done["id"])
    failed = await create(bus, settings)
    await bus.publish(InstanceFailedToStart(job_id=uuid.UUID(failed["id"]), attempt=1,
                                            message="the image could not be pulled"))
    await eventually(lambda: status_is(bus, uuid.UUID(failed["id"]), "failed"))
    cancelled = await create(bus, settings, preset="conservative")
    await bus.ask(CancelJob(job_id=cancelled["id"], reason="testing"))

    presets = by_name(await bus.ask(ListPresets()))
    assert presets["balanced"]["success"]["text"] == "50% of 2 finished jobs succeeded"
    assert presets["conservative"]["success"]["text"] == "no history yet"
    history = await bus.ask(GetJobHistory())
    # Only the completed job ran an instance on spot: the failed one never started.
    assert history["gpu_types"]["cpu"]["spot_interruption"]["text"] == \
        "0% of 1 spot job interrupted"
    assert history["pricing_success"]["spot"]["text"] == "50% of 2 finished jobs succeeded"


async def waits_for_gpu(bus, settings) -> uuid.UUID:
    job_id = uuid.UUID((await create(bus, settings))["id"])
    await bus.publish(InstanceFailedToStart(job_id=job_id, attempt=1, code="no_capacity",
                                            message="no spot capacity"))
    await eventually(lambda: status_is(bus, job_id, "waiting_for_gpu"))
    return job_id


async def test_gpu_return_time_is_measured_and_offered_to_the_next_wait(jobs, bus, settings):
    first = await waits_for_gpu(bus, settings)
    job = await bus.ask(GetJob(job_id=first))
    assert job["gpu_wait"]["typical_return"]["text"] == "no history yet"
    await bus.ask(ChooseGpuOption(job_id=first, choice="auto_retry"))
    retried = await eventually(lambda: _attempt(bus, first, 2))
    await bus.publish(InstanceStarted(job_id=first, attempt=retried["attempt"],
                                      instance_id="i-back", provider="local"))
    await eventually(lambda: status_is(bus, first, "provisioning"))

    spot = (await bus.ask(GetJobHistory(gpu_type="cpu")))["gpu_types"]["cpu"]["gpu_return"]
    assert spot["spot"]["count"] == 1 and spot["spot"]["median_s"] > 0
    assert spot["on_demand"]["text"] == "no history yet"

    second = await waits_for_gpu(bus, settings)
    offer = (await bus.ask(GetJob(job_id=second)))["gpu_wait"]["typical_return"]
    assert offer["count"] == 1
    assert offer["text"].startswith("typically available again within ")


async def _attempt(bus, job_id: uuid.UUID, attempt: int) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["attempt"] >= attempt else None
