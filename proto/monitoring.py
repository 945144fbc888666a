"""Monitoring service queries: the job's event log, metrics history and derived progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

import msgspec

from proto.training import StageProgress, TrainingReady


class GetEventLog(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.event_log"
    job_id: uuid.UUID
    kinds: list[str] = msgspec.field(default_factory=list)  # categories; empty: all
    q: str = ""  # keyword search in messages
    offset: int = 0
    limit: int = 50  # UJ3.3.2: 50 per page
    event_types: list[str] = msgspec.field(default_factory=list)  # e.g. "checkpoint"; empty: all
    newest_first: bool = False
    # Cursor: only the events after this one in the chosen order (the OpenAI API's `after`).
    after_event_id: uuid.UUID | None = None


class EventEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the job's event log (UJ3.3.2); `payload` is the event as the trainer sent it."""

    event_id: uuid.UUID
    kind: str
    category: str  # status, metrics, warning, error
    occurred_at: datetime
    message: str
    payload: dict[str, Any]


class EventLogPage(msgspec.Struct, frozen=True, kw_only=True):
    """GetEventLog's answer: one page of the log and the total it pages through."""

    total: int
    offset: int
    limit: int
    events: list[EventEntry]


class GetMetrics(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.metrics"
    job_id: uuid.UUID


class GetProgress(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.progress"
    job_id: uuid.UUID


class StageNow(msgspec.Struct, frozen=True, kw_only=True):
    """The latest stage event: where the trainer is inside the stage (UJ2.2.1, UJ2.3.1)."""

    stage: str
    detail: str = ""
    progress: StageProgress | None = None
    at: datetime


class GpuView(msgspec.Struct, frozen=True, kw_only=True):
    """UJ3.1.3: the latest GPU figures; a null figure comes with `unavailable_reason`."""

    device: str | None = None
    utilisation_pct: float | None = None
    memory_bytes: int | None = None
    memory_total_bytes: int | None = None
    at: datetime | None = None
    unavailable_reason: str | None = None


class ProgressView(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    step: int = 0
    total_steps: int = 0
    percent: float = 0.0
    epoch: float = 0.0
    loss: float | None = None
    val_loss: float | None = None
    tokens_per_s: float | None = None
    started_at: datetime | None = None
    last_event_at: datetime | None = None
    elapsed_s: float = 0.0
    remaining_s: float | None = None
    stage: StageNow | None = None
    ready: TrainingReady | None = None  # UJ2.3.2, once the model is loaded
    ready_at: datetime | None = None
    expected_completion_at: datetime | None = None
    expected_completion_basis: Literal["measured", "estimated"] | None = None


class MetricPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One train or eval measurement at a step, as the trainer reported it."""

    job_id: uuid.UUID
    step: int
    kind: Literal["train", "eval"]
    attempt: int
    epoch: float | None
    loss: float | None
    val_loss: float | None
    perplexity: float | None
    learning_rate: float | None
    grad_norm: float | None
    tokens_per_s: float | None
    memory_bytes: int | None
    total_steps: int | None
    at: datetime


class MetricsView(msgspec.Struct, frozen=True, kw_only=True):
    """GetMetrics' answer: the loss curves' points and the latest GPU figures (UJ3.1.3)."""

    train: list[MetricPoint]
    eval: list[MetricPoint]
    gpu: GpuView


class GetMetricsPage(msgspec.Struct, frozen=True, kw_only=True):
    """UJ6.1.2 export: one row per step after `after_step` (train and eval merged), with the
    nearest resource sample's GPU utilisation and memory; page on with `next_after_step`."""

    subject: ClassVar[str] = "rpc.monitoring.metrics_page"
    job_id: uuid.UUID
    after_step: int = -1
    limit: int = msgspec.field(default=5000)


class MetricsRow(msgspec.Struct, frozen=True, array_like=True):
    """Positional on the wire: an export moves 100,000s of them."""

    step: int
    epoch: float | None
    train_loss: float | None
    val_loss: float | None
    learning_rate: float | None
    perplexity: float | None
    gpu_utilisation_pct: float | None
    gpu_memory_bytes: int | None
    at: datetime


class MetricsPage(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[MetricsRow]
    next_after_step: int | None  # None: this was the last page
