"""Monitoring service queries: the job's event log, metrics history and derived progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import msgspec


class GetEventLog(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.event_log"
    job_id: uuid.UUID
    kinds: list[str] = msgspec.field(default_factory=list)  # categories; empty: all
    q: str = ""  # keyword search in messages
    offset: int = 0
    limit: int = 50  # UJ3.3.2: 50 per page


class GetMetrics(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.metrics"
    job_id: uuid.UUID


class GetProgress(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.monitoring.progress"
    job_id: uuid.UUID


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
