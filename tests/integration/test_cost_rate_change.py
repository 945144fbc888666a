"""Each attempt is billed at the price of the JobQueued that started it: a job whose first
attempt ran on spot and whose second runs on-demand (UJ2.1.2) costs each rate for its own time."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import psycopg
import pytest
from support import eventually, handled
from test_cost_service import FAST, _where, create_job, instance, queue_attempt, ticks

from proto.base import utcnow
from proto.cost import ExportCosts, GetJobCost
from proto.jobs import JobStatusChanged
from proto.provisioning import InstanceExited, InstanceStarted
from services.cost.app import build as build_cost
from services.cost.repository import Costs
from services.jobs.app import build as build_jobs

SPOT, ON_DEMAND = 249, 799  # H100-80GB: the estimate's spot rate, then the on-demand list price


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    return await start_service(build_cost, **FAST)


async def test_an_attempt_switched_to_on_demand_is_billed_on_demand_for_its_own_time(
        services, bus, settings):
    job_id = await create_job(bus, settings, rate_cents_per_hour=SPOT, estimate_cents=2_000)
    t0 = utcnow() - timedelta(hours=2, minutes=20)
    for event in instance(job_id, t0, t0 + timedelta(hours=1)):  # attempt 1: 1 h on spot
        await bus.publish(event)
    await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    await queue_attempt(bus, job_id, 2, pricing="on_demand")
    # A pod starts after its JobQueued; the consumers here get both at once, in either order.
    await eventually(lambda: _where(bus, job_id, lambda c: c["pricing"] == "on_demand"))
    started, exited = instance(job_id, t0 + timedelta(hours=1, minutes=10),
                               t0 + timedelta(hours=2, minutes=10), 2)
    await bus.publish(started)
    live = await eventually(lambda: _where(bus, job_id, lambda c: c["running"]))
    assert live["hourly_rate"] == "$7.99/hr (on-demand)"
    # 1 h spot + 70 min (and counting) on-demand; at the spot rate it would be under $5.40
    assert live["spend_cents"] >= SPOT + 932 and live["projected_final_cents"] >= SPOT + 932
    await bus.publish(exited)
    done = await eventually(lambda: _where(bus, job_id, lambda c: len(c["ledger"]) == 2))
    assert done["spend_cents"] == SPOT + ON_DEMAND and done["billable_s"] == 7200
    assert [(e["pricing"], e["rate_cents_per_hour"], e["billable_ms"]) for e in done["ledger"]] \
        == [("spot", SPOT, 3_600_000), ("on_demand", ON_DEMAND, 3_600_000)]
    await bus.publish(JobStatusChanged(job_id=job_id, status="completed", attempt=2))
    final = (await eventually(lambda: _where(bus, job_id, lambda c: c["final"])))["final"]
    assert final["total_cents"] == 1_048 and final["billable_hours"] == "2.0000"
    assert [(r["pricing"], r["billable_hours"], r["cents"]) for r in final["by_rate"]] == [
        ("spot", "1.0000", SPOT), ("on_demand", "1.0000", ON_DEMAND)]
    rows = list(csv.DictReader(io.StringIO(await bus.ask(ExportCosts()))))
    mine = [r for r in rows if r["job_id"] == str(job_id)]
    assert [(r["pricing"], r["amount_cents"]) for r in mine] == [("spot", "249"), ("on_demand", "799")]


async def test_an_attempt_over_before_its_queued_event_is_settled_at_its_own_rate(
        services, bus, settings):
    # After an outage each consumer drains its own backlog: the exit may come first.
    job_id = await create_job(bus, settings, rate_cents_per_hour=SPOT, estimate_cents=2_000)
    t0 = utcnow() - timedelta(hours=1)
    for event in instance(job_id, t0, t0 + timedelta(minutes=30), 2):
        await bus.publish(event)
    await handled(bus, InstanceStarted.subject, InstanceExited.subject, services=(services,))
    await ticks()  # and ticks re-checked: not settled at a guessed rate
    assert (await _where(bus, job_id, lambda c: True))["ledger"] == []
    await queue_attempt(bus, job_id, 2, pricing="on_demand")
    done = await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    assert [(e["pricing"], e["rate_cents_per_hour"]) for e in done["ledger"]] == [
        ("on_demand", ON_DEMAND)]
    assert done["spend_cents"] == 400  # 30 min at $7.99/h = 399.5, half-up once


async def test_a_cost_read_sees_an_exit_in_all_of_its_figures_or_in_none(
        services, bus, settings, monkeypatch):
    # The failure this guards came from CI: the exit committed after the RPC had read the
    # attempts and before it read the ledger, so the attempt counted as running *and* billed.
    job_id = await create_job(bus, settings, rate_cents_per_hour=SPOT, estimate_cents=2_000)
    t0 = utcnow() - timedelta(hours=2)
    started, exited = instance(job_id, t0, t0 + timedelta(hours=1))
    await bus.publish(started)
    await eventually(lambda: _where(bus, job_id, lambda c: c["running"]))
    entries, armed = Costs.entries, [True]

    async def exit_commits_between_the_reads(self, *args, **kwargs):
        if armed and armed.pop():
            await bus.publish(exited)
            await eventually(lambda: _ledger_rows(settings.database_url, job_id))
        return await entries(self, *args, **kwargs)

    monkeypatch.setattr(Costs, "entries", exit_commits_between_the_reads)
    seen = await bus.ask(GetJobCost(job_id=job_id))
    assert not armed, "the RPC read the ledger"
    assert seen["running"] and seen["ledger"] == [] and seen["spend_cents"] >= 2 * SPOT
    after = await bus.ask(GetJobCost(job_id=job_id))
    assert not after["running"] and len(after["ledger"]) == 1 and after["spend_cents"] == SPOT


async def _ledger_rows(database_url: str, job_id) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        row = await (await conn.execute(
            "SELECT count(*) FROM cost.cost_entries WHERE job_id = %s", (job_id,))).fetchone()
    return row[0]
