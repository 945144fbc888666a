"""Issue 12: a validation re-run that needs the model (perplexity, knowledge retention, or
answers generated again) gets an instance: a validation-only attempt of the completed job.

The validation service asks with `ValidationRunRequested`; the job moves to `validating` on
attempt + 1, whose JobQueued carries `ValidationPlan(adapter_key=...)`, so the trainer loads
base + stored adapter, measures and trains nothing. Provisioning starts it, cost bills it and
monitoring logs it like any attempt. Its Completed or Failed returns the job to `completed`
with its original adapter (domain.Job.rerun_validation and _rerun_over)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from proto.base import utcnow
from proto.validation import ValidationPlan, ValidationRunRequested
from services.jobs.handlers import emit_changes, queued_event
from services.jobs.repository import Jobs

log = logging.getLogger(__name__)
CONSUMER = "jobs-on-validation-run-requested"


async def on_validation_run_requested(event: ValidationRunRequested, uow: UnitOfWork) -> None:
    async with uow() as work:
        if not await work.first_time(CONSUMER, event.event_id):
            return
        jobs = Jobs(work.conn)
        job = await jobs.get_for_update(event.job_id)
        if job is None:
            log.warning("validation re-run %s of unknown job %s ignored", event.run, event.job_id)
            return
        if not job.rerun_validation(event.run, list(event.suites), event.adapter_key, utcnow()):
            # The validation service refuses re-runs of jobs without an adapter; a job that is
            # running again (or already re-running this run) has nothing to start.
            log.info("validation re-run %s of job %s ignored: the job is %s, not completed",
                     event.run, event.job_id, job.status)
            return
        config = await jobs.run_config(job.id)
        work.emit(msgspec.structs.replace(queued_event(config, attempt=job.attempt),
                                          validation=rerun_plan(config, event)))
        await jobs.save(job)
        emit_changes(work, job)


def rerun_plan(config: dict[str, Any], event: ValidationRunRequested) -> ValidationPlan:
    """The job's own plan (its sizes, seed and decoding) for the asked suites, on the adapter."""
    plan = (msgspec.convert(config["validation"], ValidationPlan)
            if config.get("validation") is not None else ValidationPlan())
    return msgspec.structs.replace(plan, adapter_key=event.adapter_key, suites=list(event.suites))
