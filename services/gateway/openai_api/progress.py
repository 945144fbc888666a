"""/v1/fine_tuning/jobs/{id}/events and /checkpoints: a job's event log (monitoring) and the
checkpoints a resume can start from (jobs), in OpenAI's shapes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from proto.jobs import GetJob, ListCheckpoints
from proto.monitoring import GetEventLog, GetMetrics
from services.gateway.bus import GatewayBus
from services.gateway.openai_api import ids, shapes
from services.gateway.openai_api.objects import FineTuningJobCheckpointPage, FineTuningJobEventPage

# Checkpoint events looked up for their times; the trainer keeps only its last few checkpoints.
CHECKPOINT_EVENTS = 500


def _metrics_at(metrics: dict[str, Any], step: int) -> dict[str, Any]:
    """OpenAI's checkpoint metrics from our history: the train loss at the step and the last
    evaluation at or before it."""
    train = next((m for m in metrics["train"] if m["step"] == step), None)
    evals = [m for m in metrics["eval"] if m["step"] <= step]
    return {"train_loss": train["loss"] if train else None,
            "valid_loss": evals[-1]["val_loss"] if evals else None}


class FineTuningProgressController(Controller):
    path = "/fine_tuning/jobs/{job_id:str}"
    tags = ["openai-compatible"]

    @get("/events")
    async def events(
        self, job_id: str, bus: NamedDependency[GatewayBus], after: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 20,
    ) -> FineTuningJobEventPage:
        """The job's event log, newest first; a page of `limit` after the event `after`."""
        uid = ids.from_openai(ids.JOB, job_id, "fine_tuning_job_id")
        await bus.ask(GetJob(job_id=uid))
        cursor = ids.from_openai(ids.EVENT, after, "after") if after else None
        log = await bus.ask(GetEventLog(job_id=uid, newest_first=True, after_event_id=cursor,
                                        limit=limit + 1))
        rows = log["events"]
        return msgspec.convert(shapes.page([shapes.event_object(r) for r in rows[:limit]],
                                           has_more=len(rows) > limit), FineTuningJobEventPage)

    @get("/checkpoints")
    async def checkpoints(
        self, job_id: str, bus: NamedDependency[GatewayBus], after: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 10,
    ) -> FineTuningJobCheckpointPage:
        """Newest first: the job's complete checkpoints with the metrics at their step."""
        uid = ids.from_openai(ids.JOB, job_id, "fine_tuning_job_id")
        job, saved, log, metrics = await asyncio.gather(
            bus.ask(GetJob(job_id=uid)), bus.ask(ListCheckpoints(job_id=uid)),
            bus.ask(GetEventLog(job_id=uid, event_types=["checkpoint"], newest_first=True,
                                limit=CHECKPOINT_EVENTS)),
            bus.ask(GetMetrics(job_id=uid)))
        saved_at = {}
        for row in log["events"]:  # newest first: the latest save of a step wins
            saved_at.setdefault(row["payload"]["step"], shapes.unix(row["occurred_at"]))
        data = [shapes.checkpoint_object(job, c["step"], saved_at.get(c["step"]),
                                         _metrics_at(metrics, c["step"]))
                for c in reversed(saved)]
        if after is not None:
            at = next((i for i, c in enumerate(data) if c["id"] == after), None)
            data = data[at + 1:] if at is not None else []
        return msgspec.convert(shapes.page(data[:limit], has_more=len(data) > limit),
                               FineTuningJobCheckpointPage)
