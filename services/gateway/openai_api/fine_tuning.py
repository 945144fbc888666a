"""/v1/fine_tuning/jobs: create, list, retrieve and cancel, over our jobs service."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from proto.base import to_builtins
from proto.jobs import CancelJob, GetJob, ListJobs
from proto.monitoring import GetEventLog, GetProgress
from services.gateway.bus import GatewayBus
from services.gateway.jobs import create_job
from services.gateway.openai_api import ids, shapes
from services.gateway.openai_api.objects import FineTuningJob, FineTuningJobPage
from services.gateway.openai_api.requests import CreateFineTuningJob, create_job_body


async def trained_tokens(bus: GatewayBus, job: dict[str, Any]) -> int | None:
    """The tokens the trainer reported on completion (its `completed` event)."""
    if job["status"] != "completed":
        return None
    log = await bus.ask(GetEventLog(job_id=job["id"], event_types=["completed"],
                                    newest_first=True, limit=1))
    return log["events"][0]["payload"].get("tokens_trained") if log["events"] else None


async def estimated_finish(bus: GatewayBus, job: dict[str, Any]) -> int | None:
    """Now plus the remaining time monitoring derives from the training rate, while training."""
    if shapes.STATUSES.get(job["status"]) != "running":
        return None
    remaining = (await bus.ask(GetProgress(job_id=job["id"]))).get("remaining_s")
    return int(time.time() + remaining) if remaining is not None else None


async def job_object(bus: GatewayBus, job: dict[str, Any]) -> FineTuningJob:
    tokens, finish = await asyncio.gather(trained_tokens(bus, job), estimated_finish(bus, job))
    return msgspec.convert(shapes.job_object(job, trained_tokens=tokens, estimated_finish=finish),
                           FineTuningJob)


class FineTuningJobsController(Controller):
    path = "/fine_tuning/jobs"
    tags = ["openai-compatible"]

    @post("/", status_code=200)
    async def create(self, data: CreateFineTuningJob, bus: NamedDependency[GatewayBus]
                     ) -> FineTuningJob:
        """Start a job (Balanced preset with the given hyperparameters); the same estimate and
        budget check as POST /api/v1/jobs."""
        return await job_object(bus, to_builtins(await create_job(bus, create_job_body(data))))

    @get("/")
    async def list_jobs(
        self, bus: NamedDependency[GatewayBus], after: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    ) -> FineTuningJobPage:
        """Newest first; a page of `limit` after the job `after`."""
        cursor = ids.from_openai(ids.JOB, after, "after") if after else None
        if cursor is not None:
            await bus.ask(GetJob(job_id=cursor))  # a cursor that names no job is a 404
        rows = await bus.ask(ListJobs(limit=limit + 1, after_job_id=cursor))
        data = await asyncio.gather(*(job_object(bus, r) for r in rows[:limit]))
        return FineTuningJobPage(data=data, has_more=len(rows) > limit,
                                 first_id=data[0].id if data else None,
                                 last_id=data[-1].id if data else None)

    @get("/{job_id:str}")
    async def retrieve(self, job_id: str, bus: NamedDependency[GatewayBus]) -> FineTuningJob:
        uid = ids.from_openai(ids.JOB, job_id, "fine_tuning_job_id")
        return await job_object(bus, await bus.ask(GetJob(job_id=uid)))

    @post("/{job_id:str}/cancel", status_code=200)
    async def cancel(self, job_id: str, bus: NamedDependency[GatewayBus]) -> FineTuningJob:
        uid = ids.from_openai(ids.JOB, job_id, "fine_tuning_job_id")
        job = await bus.ask(CancelJob(job_id=uid,
                                      reason="cancelled through the OpenAI-compatible API"))
        return await job_object(bus, job)
