"""Monitoring handlers: record every event and metric; answer log, metrics and progress queries."""

from __future__ import annotations

from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from proto.monitoring import (
    GetEventLog,
    GetMetrics,
    GetMetricsPage,
    GetProgress,
    MetricsPage,
    MetricsRow,
    ProgressView,
    StageNow,
)
from proto.training import Evaluation, Heartbeat, Progress, StageChanged, TrainingReady
from services.monitoring import domain
from services.monitoring.repository import Monitoring


async def record(events: list[Any], uow: UnitOfWork) -> None:
    """Store events (trainer, job status or instance) in one transaction; a redelivered one
    changes nothing."""
    async with uow() as work:
        repo = Monitoring(work.conn)
        for event in events:
            await _record(repo, event)


async def _record(repo: Monitoring, event: Any) -> None:
    if isinstance(event, Heartbeat):
        await repo.beat(event.job_id, event.attempt, event.step, event.occurred_at)
        return
    kind, category, message = domain.describe(event)
    first_time = await repo.add_event({
        "event_id": event.event_id, "job_id": event.job_id,
        "attempt": getattr(event, "attempt", 1), "kind": kind, "category": category,
        "seq": getattr(event, "seq", 0), "occurred_at": event.occurred_at, "message": message,
        "payload": msgspec.to_builtins(event),
    })
    if first_time and isinstance(event, Progress | Evaluation):
        await repo.upsert_metric(_metric_row(event))


def _metric_row(event: Progress | Evaluation) -> dict[str, Any]:
    base = {"job_id": event.job_id, "step": event.step, "attempt": event.attempt,
            "at": event.occurred_at, "epoch": event.epoch}
    if isinstance(event, Evaluation):
        return {**base, "kind": "eval", "val_loss": event.val_loss, "perplexity": event.perplexity}
    return {**base, "kind": "train", "loss": event.loss, "learning_rate": event.learning_rate,
            "grad_norm": event.grad_norm, "tokens_per_s": event.tokens_per_s,
            "memory_bytes": event.memory_bytes, "total_steps": event.total_steps}


async def event_log(q: GetEventLog, uow: UnitOfWork) -> dict[str, Any]:
    async with uow() as work:
        total, rows = await Monitoring(work.conn).event_log(
            q.job_id, q.kinds, q.q.strip(), q.offset, q.limit, q.event_types, q.newest_first,
            q.after_event_id)
    return {"total": total, "offset": q.offset, "limit": q.limit, "events": rows}


async def metrics(q: GetMetrics, uow: UnitOfWork) -> dict[str, Any]:
    async with uow() as work:
        repo = Monitoring(work.conn)
        rows = await repo.metrics(q.job_id)
        sample = await repo.latest_resources(q.job_id)
    return {
        "train": [r for r in rows if r["kind"] == "train"],
        "eval": [r for r in rows if r["kind"] == "eval"],
        "gpu": domain.gpu_view(sample and sample["payload"], sample and sample["occurred_at"]),
    }


async def metrics_page(q: GetMetricsPage, uow: UnitOfWork) -> MetricsPage:
    limit = min(max(q.limit, 1), 20_000)
    async with uow() as work:
        rows = await Monitoring(work.conn).metrics_page(q.job_id, q.after_step, limit)
    return MetricsPage(rows=[MetricsRow(*r) for r in rows],
                       next_after_step=rows[-1][0] if len(rows) == limit else None)


async def progress(q: GetProgress, uow: UnitOfWork) -> ProgressView:
    async with uow() as work:
        inputs = await Monitoring(work.conn).progress_inputs(q.job_id)
    span = inputs["span"] or {}
    view = domain.progress(inputs["first"], inputs["latest"], inputs["latest_eval"],
                           span.get("started_at"), span.get("last_at"))
    stage, ready = _stage(inputs["stage"]), _ready(inputs["ready"])
    ready_at = inputs["ready"]["occurred_at"] if ready else None
    completion, basis = domain.expected_completion(view, ready, ready_at)
    return ProgressView(job_id=q.job_id, **view, stage=stage, ready=ready, ready_at=ready_at,
                        expected_completion_at=completion, expected_completion_basis=basis)


def _stage(row: dict[str, Any] | None) -> StageNow | None:
    if row is None:
        return None
    event = msgspec.convert(row["payload"], StageChanged)
    return StageNow(stage=event.stage, detail=event.detail, progress=event.progress,
                    at=row["occurred_at"])


def _ready(row: dict[str, Any] | None) -> TrainingReady | None:
    return None if row is None else msgspec.convert(row["payload"]["ready"], TrainingReady)
