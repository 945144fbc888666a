"""The final cost (UJ6.3.1) is settled once every instance of the job is over, whatever order
the final status, the starts and the exits arrive in: each travels on a subject of its own."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from support import eventually, handled
from test_cost_service import FAST, _where, create_job, instance, queue_attempt, ticks

from proto.base import utcnow
from proto.jobs import JobQueued, JobStatusChanged
from proto.provisioning import InstanceExited, InstanceFailedToStart
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs

PENDING = {"pending": True, "message": "pending final calculation"}


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    return await start_service(build_cost, **FAST)


async def final(bus, job_id: uuid.UUID) -> dict:
    return (await eventually(lambda: _where(bus, job_id, lambda c: c["final"])))["final"]


async def settled(bus, job_id: uuid.UUID) -> dict:
    return await eventually(lambda: _where(bus, job_id, lambda c: "total_cents" in c["final"]))


async def test_final_cost_waits_for_every_instance_start_and_exit(services, bus, settings):
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    now = utcnow()
    started, exited = instance(job_id, now - timedelta(minutes=40), now - timedelta(minutes=10))
    # The end of the job overtakes its instance's events: nothing of them is known yet.
    await bus.publish(JobStatusChanged(job_id=job_id, status="cancelled"))
    assert await final(bus, job_id) == PENDING
    await bus.publish(exited)
    await handled(bus, InstanceExited.subject, services=(services,))  # the exit landed
    await ticks()  # and ticks re-checked: still no start, still pending
    assert await final(bus, job_id) == PENDING
    await bus.publish(started)
    done = await settled(bus, job_id)
    assert done["final"]["total_cents"] == 300 and len(done["ledger"]) == 1  # 30 min at $6/h


async def test_final_cost_waits_for_each_attempt_and_counts_one_that_never_started(
        services, bus, settings):
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    now = utcnow()
    for event in instance(job_id, now - timedelta(minutes=50), now - timedelta(minutes=40)):
        await bus.publish(event)
    await eventually(lambda: _where(bus, job_id, lambda c: c["ledger"]))
    await queue_attempt(bus, job_id, 2)
    await bus.publish(InstanceFailedToStart(job_id=job_id, attempt=2, message="no capacity"))
    await queue_attempt(bus, job_id, 3)
    # Attempt 3 ran; the job's end, which says so, comes before its instance's events.
    await bus.publish(JobStatusChanged(job_id=job_id, status="completed", attempt=3))
    await handled(bus, JobQueued.subject, InstanceFailedToStart.subject, JobStatusChanged.subject,
                  services=(services,))
    await ticks()
    assert await final(bus, job_id) == PENDING
    for event in instance(job_id, now - timedelta(minutes=30), now - timedelta(minutes=10), 3):
        await bus.publish(event)
    done = await settled(bus, job_id)
    assert done["final"]["total_cents"] == 300  # 10 + 20 min at $6/h; attempt 2 cost nothing
    assert [e["attempt"] for e in done["ledger"]] == [1, 3]
