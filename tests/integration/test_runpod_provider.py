"""Provisioning on the RunPod provider: real NATS and PostgreSQL, the fake RunPod API behind the SDK.

Each failure mode of issue 4 ends in the event the jobs service acts on, with the user's message.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import msgspec
import pytest
from fakes.runpod_api import CAPACITY_ERRORS
from support import eventually, handled

from proto.base import decode
from proto.jobs import JobCancelled, JobQueued
from proto.provisioning import (
    GetGpuPrices,
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
    OrphanPodTerminated,
)
from proto.training import Completed, Hyperparameters, LoraSettings, ModelRef, TrainingEventReported
from services.provisioning import pods
from services.provisioning.app import build
from services.provisioning.domain import build_spec

H100 = "NVIDIA H100 PCIe"


@pytest.fixture
async def provisioning(start_service, fake):
    return await start_service(build, provider="runpod", runpod_api_key=fake.api_key,
                               runpod_api_url=fake.url, runpod_poll_s=0.1,
                               gpu_price_ttl_s=0.2, runpod_start_timeout_s=30.0)


def queued(pricing: str = "spot", attempt: int = 1, job_id: uuid.UUID | None = None) -> JobQueued:
    return JobQueued(job_id=job_id or uuid.uuid4(), attempt=attempt,
                     training_file_key="training-files/x/file.json", model=ModelRef(),
                     lora=LoraSettings(), hyperparameters=Hyperparameters(), provider="runpod",
                     gpu_type="H100-80GB", pricing=pricing)


async def events(bus, kind, job_id) -> list:
    return [e for e in (decode(b, kind) for b in await bus.stored(kind.subject))
            if e.job_id == job_id]


async def started_pod(bus, fake, event: JobQueued) -> str:
    await bus.publish(event)
    await eventually(lambda: events(bus, InstanceStarted, event.job_id))
    return fake.created[-1]["id"]


async def test_spot_job_gets_one_interruptible_pod_and_redelivery_creates_no_second(
        provisioning, bus, fake):
    event = queued()
    await bus.publish(event)
    await bus.publish(event, msg_id=f"redelivered-{event.event_id}")  # past the dedupe window
    [started] = await eventually(lambda: events(bus, InstanceStarted, event.job_id))
    await bus.publish(event, msg_id=f"again-{event.event_id}")
    await handled(bus, JobQueued.subject, services=(provisioning,))  # all three handled
    assert [c["mutation"] for c in fake.created] == ["podRentInterruptable"]
    assert fake.created[0]["bidPerGpu"] == pytest.approx(1.12 * 1.10, abs=0.01)
    assert started.provider == "runpod" and "H100-80GB spot" in started.detail
    assert len(await events(bus, InstanceStarted, event.job_id)) == 1


async def test_no_capacity_fails_to_start_with_the_options_and_no_pod(provisioning, bus, fake):
    fake.set_stock(H100, False)
    event = queued()
    await bus.publish(event)
    [failed] = await eventually(lambda: events(bus, InstanceFailedToStart, event.job_id))
    assert failed.code == "no_capacity"
    assert failed.message.startswith("No H100-80GB spot instances are currently available")
    assert "switch to on-demand" in failed.message
    assert fake.created == []


async def test_api_5xx_while_creating_is_retried_without_a_duplicate_pod(provisioning, bus, fake):
    fake.fail_next(2, status=503)
    event = queued(pricing="on_demand")
    await bus.publish(event)
    await eventually(lambda: events(bus, InstanceStarted, event.job_id))
    assert len(fake.created) == 1 and fake.created[0]["mutation"] == "podFindAndDeployOnDemand"


async def test_api_down_while_creating_fails_to_start_saying_retry(provisioning, bus, fake,
                                                                   monkeypatch):
    monkeypatch.setattr(pods, "CREATE_RETRY_DELAYS_S", (0.05,))
    fake.fail_next(50, status=500)
    event = queued(pricing="on_demand")
    await bus.publish(event)
    [failed] = await eventually(lambda: events(bus, InstanceFailedToStart, event.job_id))
    assert failed.code == "api_unavailable" and "retry the job" in failed.message
    assert fake.created == []


async def test_slow_start_keeps_provisioning_then_times_out_and_terminates(
        start_service, bus, fake):
    await start_service(build, provider="runpod", runpod_api_key=fake.api_key,
                        runpod_api_url=fake.url, runpod_poll_s=0.1, runpod_start_timeout_s=4.0)
    fake.boot_polls = 10_000
    event = queued(pricing="on_demand")
    pod_id = await started_pod(bus, fake, event)
    # Three polls saw it booting (~0.3 s): a wide margin under the timeout on a loaded CI box.
    await eventually(lambda: fake.operations.count("pod") >= 3)
    assert await events(bus, InstanceFailedToStart, event.job_id) == []  # still booting
    [failed] = await eventually(lambda: events(bus, InstanceFailedToStart, event.job_id))
    assert failed.code == "start_timeout" and "did not boot within 4 seconds" in failed.message
    assert fake.terminated == [pod_id]


async def test_preempted_pod_is_reported_interrupted_then_exited_without_code(
        provisioning, bus, fake):
    event = queued()
    pod_id = await started_pod(bus, fake, event)
    fake.preempt(pod_id)
    [exited] = await eventually(lambda: events(bus, InstanceExited, event.job_id))
    assert exited.exit_code is None and exited.reason.startswith("preempted")
    [interrupted] = await events(bus, InstanceInterrupted, event.job_id)
    assert interrupted.signal == "preempted" and "RunPod stopped the pod" in interrupted.detail
    assert fake.terminated == [pod_id]


async def test_trainer_completion_terminates_the_pod_and_exits_with_0(provisioning, bus, fake):
    event = queued()
    pod_id = await started_pod(bus, fake, event)
    done = Completed(job_id=event.job_id, attempt=1, adapter_key="jobs/x/adapter")
    await bus.publish(TrainingEventReported(event=done))
    [exited] = await eventually(lambda: events(bus, InstanceExited, event.job_id))
    assert exited.exit_code == 0 and exited.reason == "trainer completed"
    assert fake.terminated == [pod_id] and fake.live_pods() == []


async def test_completion_reported_just_after_the_pod_stopped_is_not_a_preemption(
        provisioning, bus, fake, monkeypatch):
    monkeypatch.setattr(pods, "EXITED_POLLS_BEFORE_PREEMPTION", 30)  # 3 s at 0.1 s polls
    event = queued()
    pod_id = await started_pod(bus, fake, event)
    fake.preempt(pod_id)  # the container exits as the trainer's last webhook travels
    done = Completed(job_id=event.job_id, attempt=1, adapter_key="jobs/x/adapter")
    await bus.publish(TrainingEventReported(event=done))
    [exited] = await eventually(lambda: events(bus, InstanceExited, event.job_id))
    assert exited.exit_code == 0
    assert await events(bus, InstanceInterrupted, event.job_id) == []


async def test_cancel_terminates_the_pod(provisioning, bus, fake):
    event = queued()
    pod_id = await started_pod(bus, fake, event)
    await bus.publish(JobCancelled(job_id=event.job_id, reason="user asked"))
    await eventually(lambda: events(bus, InstanceExited, event.job_id))
    assert fake.terminated == [pod_id]


async def test_recovery_attempt_replaces_the_earlier_pod(provisioning, bus, fake):
    first = queued()
    old_pod = await started_pod(bus, fake, first)
    second = queued(attempt=2, job_id=first.job_id)
    await bus.publish(second)
    await eventually(lambda: len(fake.created) == 2 and fake.terminated == [old_pod])
    assert fake.live_pods() == [fake.created[1]["id"]]


async def test_api_errors_while_polling_change_nothing(provisioning, bus, fake):
    event = queued()
    pod_id = await started_pod(bus, fake, event)
    polls = fake.operations.count("pod")
    fake.fail_next(5, status=502)
    # Failures are served first, in order: once polls get answers again, all five were met.
    await eventually(lambda: fake.operations.count("pod") >= polls + 2)
    assert await events(bus, InstanceExited, event.job_id) == []
    assert fake.live_pods() == [pod_id]


async def test_gpu_prices_go_stale_with_a_notice_when_runpod_is_down(provisioning, bus, fake):
    live = await bus.ask(GetGpuPrices())
    assert live["stale"] is False and live["notice"] == ""
    h100 = next(g for g in live["gpu_types"] if g["gpu_type"] == "H100-80GB")
    assert h100["spot_cents_per_hour"] == 112 and h100["available"] is True
    fake.stop()
    await asyncio.sleep(0.3)  # past the TTL
    stale = await bus.ask(GetGpuPrices())
    assert stale["stale"] is True and "last-known prices" in stale["notice"]
    assert stale["gpu_types"] == live["gpu_types"]


async def test_last_known_prices_survive_a_restart_and_none_at_all_is_a_clear_503(
        provisioning, fake):
    from proto.api import ServiceError
    from services.provisioning.gpu_prices import PriceBook
    from services.provisioning.runpod_provider import RunPodProvider

    runpod = RunPodProvider(fake.api_key, fake.url, "image")
    await PriceBook(runpod, provisioning.uow, ttl_s=60).current()  # saved to the database
    fake.stop()
    restarted = await PriceBook(runpod, provisioning.uow, ttl_s=60).current()
    assert restarted["stale"] is True and len(restarted["gpu_types"]) == 3
    async with provisioning.uow() as work:
        await work.conn.execute("DELETE FROM gpu_prices")
    with pytest.raises(ServiceError) as raised:
        await PriceBook(runpod, provisioning.uow, ttl_s=60).current()
    assert raised.value.error.status == 503 and "No GPU prices yet" in raised.value.error.message


async def test_gateway_lists_gpu_types_with_prices(provisioning, settings, fake):
    from litestar.testing import TestClient

    from services.gateway.app import create_app

    with TestClient(create_app(settings)) as client:
        response = await asyncio.to_thread(client.get, "/api/v1/gpu-types")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stale"] is False
    assert {g["gpu_type"] for g in body["gpu_types"]} == {"H100-80GB", "A100-80GB", "L40S-48GB"}


@pytest.mark.parametrize("simulated", [False, True])
async def test_local_provider_answers_gpu_prices_without_runpod(start_service, bus, simulated):
    await start_service(build, simulate_gpus_locally=simulated)
    answer = await bus.ask(GetGpuPrices())
    assert answer["stale"] is False
    cpu, *gpus = answer["gpu_types"]
    assert cpu["gpu_type"] == "cpu" and cpu["available"] is True
    # The GPU types a RunPod install offers, unpriced (estimates use list prices), and free to
    # rent here only where GPU jobs are simulated on this machine (a test switch).
    assert {g["gpu_type"] for g in gpus} == {"H100-80GB", "A100-80GB", "L40S-48GB"}
    assert all(g["spot_cents_per_hour"] is None and g["available"] is simulated for g in gpus)


async def test_estimates_price_gpus_at_runpods_live_rates_and_fall_back_to_the_catalogue(
        provisioning, bus, fake):
    from proto.cost import EstimateRequest
    from proto.gpu import GPU_TYPES
    from services.cost import domain
    from services.cost.estimates import LivePrices

    live = await LivePrices(bus.broker).row("H100-80GB")
    assert live["spot_cents_per_hour"] == 112  # the fake's minimum bid, not our list price
    assert live["spot_cents_per_hour"] != GPU_TYPES["H100-80GB"].spot_cents_per_hour
    request = EstimateRequest(estimated_tokens=400_000, usable_pairs=200, gpu_type="H100-80GB",
                              model_parameter_count=70_600_000_000)
    priced = domain.estimate(msgspec.structs.replace(request, **live))
    listed = domain.estimate(request)
    assert priced.hourly_rate_cents == 112 and priced.price_source == "runpod"
    assert listed.price_source == "catalogue"
    assert priced.duration_s_high == listed.duration_s_high  # only the price differs
    assert priced.on_demand_cost_cents_high != listed.on_demand_cost_cents_high
    assert await LivePrices(bus.broker).row("cpu") == {}  # free: nothing to ask


async def test_without_a_runpod_provider_estimates_use_catalogue_prices(start_service, bus):
    from services.cost.estimates import LivePrices

    await start_service(build)  # the local provider knows only this machine's CPU
    assert await LivePrices(bus.broker, wait_s=0.5).row("H100-80GB") == {}


async def test_a_job_of_several_gpus_rents_one_pod_with_that_many(provisioning, bus, fake):
    event = msgspec.structs.replace(queued(pricing="on_demand"), gpu_count=4)
    await started_pod(bus, fake, event)
    assert fake.created[-1]["gpuCount"] == 4


# --- RunPod as it really behaves (issue 16) -----------------------------------------------------

@pytest.mark.parametrize("pricing", ["spot", "on_demand"])
@pytest.mark.parametrize("wording", CAPACITY_ERRORS[1:])
async def test_every_wording_of_no_capacity_is_the_no_gpu_flow(provisioning, bus, fake, wording,
                                                               pricing):
    fake.set_stock(H100, False, spot_only=pricing == "spot", wording=wording)
    event = queued(pricing=pricing)
    await bus.publish(event)
    [failed] = await eventually(lambda: events(bus, InstanceFailedToStart, event.job_id))
    assert failed.code == "no_capacity" and "currently available" in failed.message
    assert fake.created == []


async def test_a_booted_pod_whose_container_restarts_is_not_killed_as_not_booting(
        start_service, bus, fake):
    runtime = await start_service(build, provider="runpod", runpod_api_key=fake.api_key,
                                  runpod_api_url=fake.url, runpod_poll_s=0.1,
                                  runpod_start_timeout_s=1.0)
    event = queued(pricing="on_demand")
    pod_id = await started_pod(bus, fake, event)
    await eventually(lambda: booted(runtime, event))
    fake.restart(pod_id, boot_polls=10_000)  # runtime reads null from now on
    restarted_at, polls = time.monotonic(), fake.operations.count("pod")
    # Past the boot timeout, with the watcher seeing the null runtime all the while.
    await eventually(lambda: time.monotonic() - restarted_at > 2.0
                     and fake.operations.count("pod") > polls + 10)
    assert await events(bus, InstanceFailedToStart, event.job_id) == []
    assert fake.terminated == [] and fake.live_pods() == [pod_id]


async def booted(runtime, event: JobQueued) -> bool:
    async with runtime.uow() as work:
        cur = await work.conn.execute("SELECT booted_at FROM instances WHERE job_id = %s",
                                      (event.job_id,))
        return (await cur.fetchone())["booted_at"] is not None


async def test_a_pod_made_by_a_create_that_answered_an_error_is_terminated_and_billed(
        start_service, bus, fake):
    await start_service(build, provider="runpod", runpod_api_key=fake.api_key,
                        runpod_api_url=fake.url, runpod_poll_s=0.1, runpod_reconcile_s=0.2)
    fake.fail_after_create()
    event = queued(pricing="on_demand")
    await bus.publish(event)
    [failed] = await eventually(lambda: events(bus, InstanceFailedToStart, event.job_id))
    assert "Something went wrong" in failed.message
    [orphan] = await eventually(lambda: events(bus, OrphanPodTerminated, event.job_id))
    assert orphan.pod_id == fake.created[0]["id"] and fake.terminated == [orphan.pod_id]
    assert orphan.attempt == 1 and orphan.started_at <= orphan.occurred_at


async def test_a_pod_left_by_a_crash_between_create_and_commit_is_terminated_after_the_grace(
        start_service, bus, fake):
    runtime = await start_service(build, provider="runpod", runpod_api_key=fake.api_key,
                                  runpod_api_url=fake.url, runpod_reconcile_s=0.1,
                                  runpod_orphan_grace_s=300.0)
    from services.provisioning.runpod_provider import RunPodProvider

    runpod = RunPodProvider(fake.api_key, fake.url, "image")
    crashed, creating = queued(), queued()
    async with runtime.uow() as work:
        for event, age_s in ((crashed, 3600), (creating, 0)):
            await work.conn.execute(
                "INSERT INTO instances (job_id, attempt, instance_id, provider, status, "
                "created_at) VALUES (%s, 1, 'runpod-x', 'runpod', 'starting', "
                "now() - make_interval(secs => %s))", (event.job_id, age_s))
    pods = {e.job_id: runpod.create(build_spec(e, runtime.settings), "H100-80GB", "on_demand")
            for e in (crashed, creating)}
    await eventually(lambda: events(bus, OrphanPodTerminated, crashed.job_id))
    assert fake.terminated == [pods[crashed.job_id]]
    assert pods[creating.job_id] in fake.live_pods()  # its create may yet be committed


def test_runpod_settings_a_pod_cannot_reach_are_refused_at_start_up(settings):
    from proto.api import ServiceError

    real = msgspec.structs.replace(settings, provider="runpod", runpod_api_key="k",
                                   runpod_api_url="https://api.runpod.io",
                                   gateway_url="http://127.0.0.1:8400", storage_url="",
                                   trainer_storage="direct")
    with pytest.raises(ServiceError) as raised:
        build(real)
    assert raised.value.error.code == "settings_unreachable_from_pods"
    assert set(raised.value.error.details["unreachable"]) == {"BRIGHTRUN_GATEWAY_URL",
                                                              "BRIGHTRUN_STORAGE_URL"}
