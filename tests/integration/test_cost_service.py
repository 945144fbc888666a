"""The cost service against real NATS and PostgreSQL, fed real events beside the jobs service."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import timedelta

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.types.json import Jsonb
from support import eventually, handled, training_file

from libs.common.model_size import resolved
from libs.common.storage import open_store
from proto.api import ServiceError
from proto.base import decode, encode, to_builtins, utcnow
from proto.cost import (
    BudgetAlertRaised,
    CostAlertRaised,
    CostCapReached,
    EstimateJob,
    GetJobCost,
    GetMonthCosts,
    ReserveBudget,
    SetBudget,
)
from proto.jobs import (
    CreateJob,
    GetJob,
    GetTrainingFile,
    HyperparameterOverrides,
    JobQueued,
    JobStatusChanged,
    RegisterTrainingFile,
)
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import (
    Hyperparameters,
    LoraSettings,
    ModelRef,
    Progress,
    StageChanged,
    TrainingEventReported,
)
from services.cost.app import build as build_cost
from services.cost.handlers import job_row
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs

FAST = {"cost_tick_s": 0.2}


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    return await start_service(build_cost, **FAST)


async def created_job(bus, settings, **fields) -> uuid.UUID:
    """A job created as users create one: the jobs service has the cost service estimate it
    (an H100 on spot at its list rate, $2.49/h: no RunPod here) and reserve its budget."""
    data = training_file()
    key = f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    job = await bus.ask(CreateJob(training_file_id=file["id"], gpu_type="H100-80GB", **fields))
    job_id = uuid.UUID(job["id"])
    await eventually(lambda: known(bus, job_id))
    return job_id


async def create_job(bus, settings, rate_cents_per_hour: int, estimate_cents: int,
                     **fields) -> uuid.UUID:
    """A job created for real (created_job), then shown to the cost service as estimated at
    `rate_cents_per_hour` and `estimate_cents`: tests of billing arithmetic choose their figures,
    which the cost service's own estimate (the list rate) does not give. Arranged in the jobs
    service's table (its later attempts' JobQueued carry it) and the cost service's (what its
    JobQueued handler wrote from the real estimate)."""
    job_id = await created_job(bus, settings, **fields)
    estimate = {"hourly_rate_cents": rate_cents_per_hour, "cost_cents_low": estimate_cents,
                "cost_cents_high": estimate_cents, "tokens_to_train": 10_000}
    async with await psycopg.AsyncConnection.connect(
            settings.database_url, options="-c search_path=jobs") as conn:
        await conn.execute("UPDATE jobs SET estimate = %s WHERE id = %s", (Jsonb(estimate), job_id))
        await conn.commit()
    async with await psycopg.AsyncConnection.connect(
            settings.database_url, options="-c search_path=cost") as conn:
        await conn.execute("UPDATE jobs SET rate_cents_per_hour = %s, estimate = %s, "
                           "estimate_cents = %s WHERE job_id = %s",
                           (rate_cents_per_hour, Jsonb(estimate), estimate_cents, job_id))
        await conn.execute("UPDATE attempts SET rate_cents_per_hour = %s WHERE job_id = %s",
                           (rate_cents_per_hour, job_id))
        await conn.commit()
    return job_id


async def queued_job(bus, rate_cents_per_hour: int, estimate_cents: int, **fields) -> uuid.UUID:
    """A job as the cost service learns of it, from its JobQueued alone, with the rate and the
    estimate a test needs (the jobs service would ask the cost service for them)."""
    job_id = uuid.uuid4()
    estimate = {"hourly_rate_cents": rate_cents_per_hour, "cost_cents_low": estimate_cents,
                "cost_cents_high": estimate_cents, "tokens_to_train": 10_000}
    await bus.publish(JobQueued(
        job_id=job_id, training_file_key="k", model=resolved(ModelRef()), lora=LoraSettings(),
        hyperparameters=Hyperparameters(), gpu_type="H100-80GB", estimate=estimate,
        created_at=utcnow(), **fields))
    await eventually(lambda: known(bus, job_id))
    return job_id


async def queue_attempt(bus, job_id: uuid.UUID, attempt: int, **changes) -> JobQueued:
    """Queue another attempt of the job as the jobs service would: its first JobQueued again,
    as a new event with the attempt's number and what changed (pricing, GPU type)."""
    [first] = [q for q in await stored(bus, JobQueued) if q.job_id == job_id and q.attempt == 1]
    try:  # a job the jobs service holds: the estimate it holds now, as its next JobQueued has
        changes = {"estimate": (await bus.ask(GetJob(job_id=job_id)))["estimate"], **changes}
    except ServiceError:  # a job cost learnt of from its JobQueued alone
        pass
    event = msgspec.structs.replace(first, attempt=attempt, event_id=uuid.uuid4(),
                                    occurred_at=utcnow(), **changes)
    await bus.publish(event)
    return event


async def known(bus, job_id: uuid.UUID) -> dict | None:
    try:
        return await bus.ask(GetJobCost(job_id=job_id))
    except Exception:
        return None


async def stored(bus, event_type: type) -> list:
    return [decode(b, event_type) for b in await bus.stored(event_type.subject)]


def instance(job_id, start, end=None, attempt: int = 1) -> tuple:
    started = InstanceStarted(job_id=job_id, attempt=attempt, instance_id=f"i-{attempt}",
                              provider="runpod", occurred_at=start)
    exited = end and InstanceExited(job_id=job_id, attempt=attempt, instance_id=f"i-{attempt}",
                                    exit_code=0, occurred_at=end)
    return started, exited


async def test_spend_is_billed_from_instance_start_to_exit_and_traced_to_its_events(
        services, bus, settings):
    job_id = await queued_job(bus, rate_cents_per_hour=249, estimate_cents=10_000)
    t0 = utcnow() - timedelta(hours=3)
    started, exited = instance(job_id, t0, t0 + timedelta(hours=2))
    await bus.publish(started)
    running = await eventually(lambda: _where(bus, job_id, lambda c: c["running"]))
    assert running["hourly_rate"] == "$2.49/hr (spot)" and running["spend_cents"] >= 747
    # provisioning and loading are billed, only the training steps are productive
    for event in (StageChanged(job_id=job_id, stage="training", occurred_at=t0 + timedelta(minutes=10)),
                  Progress(job_id=job_id, step=90, total_steps=90, epoch=1.0, loss=1.0,
                           learning_rate=1e-4, occurred_at=t0 + timedelta(minutes=100))):
        await bus.publish(TrainingEventReported(event=event))
    await bus.publish(exited)
    cost = await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"] and c["productive_s"]))
    assert cost["spend_cents"] == 498 and not cost["running"]  # 2 h at $2.49/h
    assert cost["billable_s"] == 7200 and cost["productive_s"] == 5400
    assert cost["colour"] == "green"
    [entry] = cost["ledger"]
    assert entry["start_event_id"] == str(started.event_id)
    assert entry["end_event_id"] == str(exited.event_id)
    await bus.publish(JobStatusChanged(job_id=job_id, status="completed"))
    final = (await eventually(lambda: _where(bus, job_id, lambda c: c["final"])))["final"]
    assert final["total_cents"] == 498 and final["compute_cents"] == 498
    assert final["variance_pct"] == -95


async def ticks(count: int = 2) -> None:
    """Let the cost ticker run `count` more times (it is not observable from outside)."""
    await asyncio.sleep(count * FAST["cost_tick_s"])


async def _where(bus, job_id, predicate):
    cost = await known(bus, job_id)
    return cost if cost and predicate(cost) else None


async def test_each_alert_is_raised_once_as_spend_crosses_it_even_under_redelivery(
        services, bus, settings):
    # $3,600/h is a cent every millisecond-ish: 10 s of running reach the $10 estimate.
    job_id = await queued_job(bus, rate_cents_per_hour=360_000, estimate_cents=1_000)
    started, _ = instance(job_id, utcnow() - timedelta(seconds=8.5))
    await bus.publish(started)
    first = await eventually(lambda: _alerts(bus))
    assert [a.threshold_pct for a in first] == [80]
    await eventually(lambda: _alerts(bus, 3), timeout_s=20)
    for _ in range(3):  # the same event again, as a redelivery would bring it
        await bus.publish(started, msg_id=str(uuid.uuid4()))
    await handled(bus, InstanceStarted.subject, services=(services,))
    await ticks()  # and the ticks that follow re-check the spend
    alerts = await stored(bus, CostAlertRaised)
    assert [a.threshold_pct for a in alerts] == [80, 100, 120]
    assert [a.level for a in alerts] == ["approaching", "exceeded", "significantly_over"]
    assert "approaching cost estimate" in alerts[0].message
    assert (await bus.ask(GetJobCost(job_id=job_id)))["colour"] == "red"


async def _alerts(bus, n: int = 1) -> list | None:
    alerts = await stored(bus, CostAlertRaised)
    return alerts if len(alerts) >= n else None


async def spend(bus, job_id: uuid.UUID, hours: float, attempt: int = 1) -> None:
    start = utcnow() - timedelta(hours=hours + 0.1)
    for event in instance(job_id, start, start + timedelta(hours=hours), attempt):
        await bus.publish(event)


async def test_budget_refuses_a_job_over_what_is_left_and_alerts_once_at_80_percent(
        services, bus, settings):
    await bus.ask(SetBudget(monthly_limit_cents=1_000))
    job_id = await queued_job(bus, rate_cents_per_hour=450, estimate_cents=900)
    await spend(bus, job_id, 2)  # $9.00 of $10.00
    await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    error = await bus.ask_error(ReserveBudget(reservation_id=uuid.uuid4(), estimate_cents=200,
                                              job_name="Big run"))
    assert error.error.code == "budget_exceeded" and error.error.status == 422
    assert "$2.00" in error.error.message and "$1.00 left" in error.error.message
    assert "PUT /api/v1/budget" in error.error.how_to_fix
    month = await bus.ask(GetMonthCosts())
    assert month["spent_cents"] == 900 and month["remaining_cents"] == 100
    assert month["jobs_this_month"] == 1 and month["by_tag"] == {"untagged": 900}
    alerts = await eventually(lambda: stored(bus, BudgetAlertRaised))
    await asyncio.sleep(0.5)  # ticks keep checking: still one alert
    assert [a.threshold_pct for a in await stored(bus, BudgetAlertRaised)] == [80]
    # raised while the instance ran, on live spend: anywhere from $8 up
    assert alerts[0].spent_cents >= 800 and alerts[0].limit_cents == 1_000


async def test_gateway_refuses_to_create_a_job_the_budget_cannot_pay(services, bus, settings):
    await bus.ask(SetBudget(monthly_limit_cents=0))
    data = training_file()
    with TestClient(create_app(settings)) as client:
        file_id = (await asyncio.to_thread(
            client.post, "/api/v1/training-files",
            files={"file": ("f.json", data, "application/json")})).json()["id"]
        body = {"training_file_id": file_id, "gpu_type": "H100-80GB", "pricing": "on_demand"}
        response = await asyncio.to_thread(client.post, "/api/v1/jobs", json=body)
        budget = await asyncio.to_thread(client.get, "/api/v1/budget")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "budget_exceeded" and error["how_to_fix"]
    assert budget.json()["remaining_cents"] == 0


async def test_job_cap_stops_the_running_job_once_through_the_cancel_path(services, bus, settings):
    await bus.ask(SetBudget(job_cap_cents=500))
    job_id = await created_job(bus, settings)
    # $5.00 at $2.49/h is 120.5 minutes
    started, _ = instance(job_id, utcnow() - timedelta(minutes=125))
    await bus.publish(started)
    [cap] = await eventually(lambda: stored(bus, CostCapReached))
    assert cap.job_id == job_id and cap.scope == "job" and cap.reason == "cost cap"
    job = await eventually(lambda: _job_with_status(bus, job_id, "cancelled"))
    assert "cost cap" in job["status_message"]  # jobs stopped it through the cancel path
    await handled(bus, CostCapReached.subject, JobStatusChanged.subject, services=(services,))
    await ticks()
    assert len(await stored(bus, CostCapReached)) == 1


async def _job_with_status(bus, job_id: uuid.UUID, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None


async def test_a_killed_and_restarted_service_counts_nothing_twice(start_service, service_process,
                                                                  bus, settings):
    await start_service(build_jobs)
    cost = await service_process("cost", **FAST)  # a process of its own, to SIGKILL
    job_id = await queued_job(bus, rate_cents_per_hour=600, estimate_cents=1_000)
    # Start and exit travel on separate consumers: until the exit is in, the attempt runs on,
    # so recent attempts keep the live spend (and its alerts) where the test expects it.
    t0 = utcnow() - timedelta(minutes=65)
    first = instance(job_id, t0, t0 + timedelta(hours=1))
    for event in first:
        await bus.publish(event)
    await eventually(lambda: _where(bus, job_id, lambda c: len(c["ledger"]) == 1))
    cost.kill()  # what follows waits in the streams
    assert cost.wait(10) == -signal.SIGKILL
    now = utcnow()  # a short, recent second attempt: live spend stays under 100% meanwhile
    second = instance(job_id, now - timedelta(minutes=25), now - timedelta(minutes=5), 2)
    await queue_attempt(bus, job_id, 2)
    for event in (*first, *second):
        await bus.publish(event, msg_id=str(uuid.uuid4()))  # old ones again, and new ones
    restarted = await start_service(build_cost, **FAST)
    cost_view = await eventually(lambda: _where(bus, job_id, lambda c: len(c["ledger"]) == 2))
    await handled(bus, InstanceStarted.subject, InstanceExited.subject, JobQueued.subject,
                  services=(restarted,))  # the old events again too
    await ticks()
    cost_view = await bus.ask(GetJobCost(job_id=job_id))
    assert cost_view["spend_cents"] == 800 and len(cost_view["ledger"]) == 2  # 80 min at $6/h
    alerts = await stored(bus, CostAlertRaised)
    assert [a.threshold_pct for a in alerts] == [80]


async def registered_file(bus, settings) -> uuid.UUID:
    data, key = training_file(), f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    return uuid.UUID(file["id"])


async def test_an_estimate_is_assembled_from_the_files_stats_by_the_cost_service(
        services, bus, settings):
    file_id = await registered_file(bus, settings)
    stats = (await bus.ask(GetTrainingFile(training_file_id=file_id)))["stats"]
    asked = await bus.ask(EstimateJob(training_file_id=file_id, gpu_type="L40S-48GB",
                                      pricing="on_demand"))
    # Worked by hand from the file's stats, the Balanced preset and the catalogue (no
    # provisioning service runs: RunPod's prices are not waited for):
    assert (stats["usable_pair_count"], stats["sequence_count"], stats["estimated_tokens"],
            stats["packed_host_tokens"]) == (55, 55, 1801, [])
    # - 80% of 55 pairs train: ceil(44.0) = 44; Balanced steps 4 x 4 = 16 sequences a step,
    #   ceil(44 / 16) = 3 steps an epoch, 3 epochs: 9 steps.
    # - tokens: 44 pairs x 3 epochs x 1801 / 55 tokens a pair = 4322.4 -> 4322.
    # - L40S seed pace for the 134,515,008-parameter tiny Llama: 140 tok/s x 70e9 / 134,515,008
    #   = 72,855 tok/s, so 4322 tokens train in 0.06 s; plus its 1,200 s overhead: 1,200.06 s.
    # - +-15%: 1,020.05 s (floored: 1020) to 1,380.07 s (ceiled: 1381).
    # - at $1.14/h on demand: 114 x 1,020.05 / 3600 = 32.3 -> 33 cents; 114 x 1,380.07 / 3600
    #   = 43.7 -> 44; spot's high at 79 c/h: 79 x 1,380.07 / 3600 = 30.3 -> 31.
    assert {k: asked[k] for k in ("total_steps", "tokens_to_train", "duration_s_low",
                                  "duration_s_high", "cost_cents_low", "cost_cents_high",
                                  "spot_cost_cents_high", "on_demand_cost_cents_high")} == {
        "total_steps": 9, "tokens_to_train": 4322, "duration_s_low": 1020,
        "duration_s_high": 1381, "cost_cents_low": 33, "cost_cents_high": 44,
        "spot_cost_cents_high": 31, "on_demand_cost_cents_high": 44}
    assert asked["price_source"] == "catalogue" and asked["hourly_rate_cents"] == 114
    error = await bus.ask_error(EstimateJob(training_file_id=uuid.uuid4()))
    assert error.error.code == "training_file_not_found" and error.error.status == 404


async def test_each_change_of_the_form_is_estimated_without_asking_for_the_file_again(
        start_service, bus, settings):
    jobs = await start_service(build_jobs)
    await start_service(build_cost, **FAST)
    file_id = await registered_file(bus, settings)
    first = await bus.ask(EstimateJob(training_file_id=file_id, gpu_type="H100-80GB"))
    await jobs.stop()  # the file's stats never change: cost keeps them
    changed = await bus.ask(EstimateJob(training_file_id=file_id, gpu_type="H100-80GB",
                                        overrides=HyperparameterOverrides(epochs=6)))
    # balanced trains 3 epochs: twice as many tokens, to the rounding of each
    assert abs(changed["tokens_to_train"] - 2 * first["tokens_to_train"]) <= 1


async def test_a_finished_job_refits_the_estimate_for_its_gpu_and_model_size(
        services, bus, settings):
    request = EstimateJob(training_file_id=await registered_file(bus, settings),
                          gpu_type="H100-80GB")
    before = await bus.ask(request)
    job_id = await queued_job(bus, rate_cents_per_hour=249, estimate_cents=500)
    now = utcnow()
    for event in instance(job_id, now - timedelta(minutes=50), now - timedelta(minutes=10)):
        await bus.publish(event)
    await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    await bus.publish(JobStatusChanged(job_id=job_id, status="completed"))
    await eventually(lambda: _where(bus, job_id, lambda c: c["final"]))
    after = await bus.ask(request)
    # One clean 40-minute job ran 10 000 tokens: the 135 M H100 pace is re-fitted from it.
    # Past the H100's 900 s catalogue overhead it trained 2400 - 900 = 1500 s for 10 000 tokens,
    # so the file's tokens now take 900 + 1500 x tokens / 10 000 s, whatever the seed pace was.
    assert after["tokens_to_train"] == before["tokens_to_train"] > 0
    expected = 900 + 1500 * after["tokens_to_train"] / 10_000
    assert after["duration_s_high"] != before["duration_s_high"]
    assert abs((after["duration_s_low"] + after["duration_s_high"]) / 2 - expected) <= 1


async def test_gateway_shows_a_jobs_cost_the_month_and_the_csv_export(services, bus, settings):
    job_id = await created_job(bus, settings, tags=["client-delivery"])
    await spend(bus, job_id, 1)
    await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    with TestClient(create_app(settings)) as client:
        cost, month, export = [(await asyncio.to_thread(client.get, f"/api/v1{path}")) for path in
                               (f"/jobs/{job_id}/cost", "/costs/month", "/costs/export.csv")]
    assert cost.json()["spend_cents"] == 249 and cost.json()["hourly_rate"] == "$2.49/hr (spot)"
    assert cost.json()["budget_impact"]["share_of_month_pct"] == 100
    assert month.json()["by_tag"] == {"client-delivery": 249}
    assert month.json()["jobs"][0]["cost_cents"] == 249
    assert export.headers["content-type"].startswith("text/csv")
    header, row, total = export.text.strip().splitlines()
    assert header.startswith("entry_id,billed_month,job_id") and str(job_id) in row
    assert ",249,$2.49," in row and total.startswith("total,all") and ",249,$2.49," in total


async def test_cost_learns_a_job_from_its_queued_event_alone(start_service, bus):
    # No jobs service runs: whatever cost shows about the job came with JobQueued.
    await start_service(build_cost, **FAST)
    job_id, created = uuid.uuid4(), utcnow() - timedelta(days=1)
    estimate = {"hourly_rate_cents": 300, "cost_cents_low": 900, "cost_cents_high": 1_100,
                "duration_s_low": 10_800, "duration_s_high": 13_200, "tokens_to_train": 10_000}
    await bus.publish(JobQueued(
        job_id=job_id, training_file_key="k", model=ModelRef(), lora=LoraSettings(),
        hyperparameters=Hyperparameters(), gpu_type="H100-80GB", name="Advisor v2",
        tags=["client-delivery"], estimate=estimate, created_at=created))
    cost = await eventually(lambda: known(bus, job_id))
    assert (cost["name"], cost["tags"]) == ("Advisor v2", ["client-delivery"])
    assert cost["hourly_rate"] == "$3.00/hr (spot)"  # the estimate's rate, not the list price
    assert cost["estimate"]["cost_cents"] == 1_000 and cost["estimate"]["duration_s_high"] == 13_200
    await spend(bus, job_id, 1)
    month = await eventually(lambda: _month_with_job(bus, job_id))
    assert month["by_tag"] == {"client-delivery": 300}


async def _month_with_job(bus, job_id: uuid.UUID) -> dict | None:
    month = await bus.ask(GetMonthCosts())
    return month if any(j["job_id"] == str(job_id) for j in month["jobs"]) else None


def test_a_queued_event_stored_before_the_cost_fields_still_decodes():
    old = {"job_id": str(uuid.uuid4()), "attempt": 2, "training_file_key": "k",
           "model": to_builtins(ModelRef()), "lora": to_builtins(LoraSettings()),
           "hyperparameters": to_builtins(Hyperparameters()), "gpu_type": "H100-80GB"}
    event = decode(encode(old), JobQueued)
    assert (event.name, event.tags, event.estimate, event.parent_job_id) == ("", [], None, None)
    assert job_row(event)["rate_cents_per_hour"] == 249  # the H100 spot list price
