"""Issue 12: validation time is billed as its own cost line (real NATS and PostgreSQL, the jobs
and cost services): the trainer's "validating" stage splits an attempt's time, and a re-run of
validation on an attempt of its own reopens the finished job's final cost and is all validation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from support import eventually
from test_cost_service import FAST, _where, create_job, instance

from proto.base import utcnow
from proto.training import Completed, StageChanged, TrainingEventReported
from proto.validation import ValidationRunRequested
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    return await start_service(build_cost, **FAST)


def lines(final: dict) -> dict[str, int]:
    return {line["kind"]: line["cents"] for line in final["lines"]}


async def settled(bus, job_id: uuid.UUID, total: int) -> dict:
    return (await eventually(lambda: _where(
        bus, job_id, lambda c: (c["final"] or {}).get("total_cents") == total)))["final"]


async def test_validation_is_its_own_line_and_a_rerun_adds_to_it(services, bus, settings):
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    t0, adapter = utcnow() - timedelta(hours=1), f"jobs/{job_id}/adapter"
    started, exited = instance(job_id, t0, t0 + timedelta(minutes=40))
    await bus.publish(started)
    for seq, (minute, event) in enumerate((
            (5, StageChanged(job_id=job_id, stage="training")),
            (30, StageChanged(job_id=job_id, stage="validating", detail="perplexity")),
            (32, StageChanged(job_id=job_id, stage="validating", detail="knowledge")),
            (39, Completed(job_id=job_id, adapter_key=adapter)),
    ), 1):
        stamped = type(event)(**{**{f: getattr(event, f) for f in event.__struct_fields__},
                                 "seq": seq, "occurred_at": t0 + timedelta(minutes=minute)})
        await bus.publish(TrainingEventReported(event=stamped))
    await bus.publish(exited)
    # 40 min at $6/h; validation from its first "validating" stage (minute 30) to the exit.
    final = await settled(bus, job_id, 400)
    assert lines(final) == {"training": 300, "validation": 100}
    assert final["interruption_overhead_cents"] == 0

    # A re-run through the jobs service: a validation-only attempt 2, billed, all validation.
    await bus.publish(ValidationRunRequested(job_id=job_id, run=2, adapter_key=adapter,
                                             suites=["perplexity"]))
    await eventually(lambda: _where(bus, job_id, lambda c: c["final"] and c["final"].get(
        "pending")))  # reopened: the final waits for the re-run's instance
    for event in instance(job_id, t0 + timedelta(minutes=45), t0 + timedelta(minutes=50), 2):
        await bus.publish(event)
    final = await settled(bus, job_id, 450)
    assert lines(final) == {"training": 300, "validation": 150}
    assert sum(lines(final).values()) == final["total_cents"]
    assert final["interruption_overhead_cents"] == 0 and final["interruptions"] == 0
    cost = await _where(bus, job_id, lambda c: True)
    assert [e["attempt"] for e in cost["ledger"]] == [1, 2]
