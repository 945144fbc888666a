"""Provisioning service: the life of the instance (local process or cloud pod) a job runs on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import msgspec

from proto.base import Message
from proto.job_history import GpuHistory, Rate


class InstanceStarted(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "provisioning.instance.started.v1"
    job_id: uuid.UUID
    attempt: int
    instance_id: str
    provider: str
    detail: str = ""


class InstanceExited(Message, frozen=True, kw_only=True):
    """The instance is gone: exit_code None when it was not ours to reap (adopted after a restart)."""

    subject: ClassVar[str] = "provisioning.instance.exited.v1"
    job_id: uuid.UUID
    attempt: int
    instance_id: str
    exit_code: int | None
    reason: str = ""


class InstanceInterrupted(Message, frozen=True, kw_only=True):
    """The provider is taking the instance away (spot reclaim, or an injected fault). Telling,
    not acting: the job recovers once the trainer has checkpointed and the instance is gone."""

    subject: ClassVar[str] = "provisioning.instance.interrupted.v1"
    job_id: uuid.UUID
    attempt: int
    instance_id: str
    step: int = 0
    signal: str = ""
    injected: bool = False
    detail: str = ""


class InstanceFailedToStart(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "provisioning.instance.failed_to_start.v1"
    job_id: uuid.UUID
    attempt: int
    message: str
    # UJ2.1.2: what kind of failure, for the options offered: "no_capacity" (nothing to rent
    # now), "api_unavailable", "start_timeout", or "" (anything else; the message says).
    code: str = ""


class OrphanPodTerminated(Message, frozen=True, kw_only=True):
    """A pod named for (job, attempt) that no instance owned (a create answered an error but
    made the pod, or a crash came between create and commit) was found and terminated. It ran,
    and billed, from `started_at` (the attempt's claim, just before the create: an upper bound)
    to this event: cost bills it as the attempt's time."""

    subject: ClassVar[str] = "provisioning.orphan_pod.terminated.v1"
    job_id: uuid.UUID
    attempt: int
    pod_id: str
    instance_id: str
    started_at: datetime


class GetGpuPrices(msgspec.Struct, frozen=True, kw_only=True):
    """GPU types with their current prices and availability; last-known when RunPod is down."""

    subject: ClassVar[str] = "rpc.provisioning.gpu_prices"


class GpuPrice(msgspec.Struct, frozen=True, kw_only=True):
    """One GPU type as RunPod rents it now (cents per GPU-hour; None: no price known here)."""

    gpu_type: str
    runpod_id: str
    display_name: str
    memory_gb: int
    spot_cents_per_hour: int | None
    on_demand_cents_per_hour: int | None
    available: bool


class GpuPrices(msgspec.Struct, frozen=True, kw_only=True):
    """GetGpuPrices' answer; `stale` with a `notice` when these are the last-known prices."""

    gpu_types: list[GpuPrice]
    stale: bool
    notice: str
    fetched_at: str | None  # ISO 8601 as provisioning wrote it; None: never fetched


class GpuTypeView(GpuPrice, frozen=True, kw_only=True):
    """GET /gpu-types row: the price and what this installation's jobs say of the type
    (None while the jobs service's history is unavailable)."""

    history: GpuHistory | None = None


class GpuTypesView(msgspec.Struct, frozen=True, kw_only=True):
    """GET /gpu-types: the prices with the jobs service's history beside them."""

    gpu_types: list[GpuTypeView]
    stale: bool
    notice: str
    fetched_at: str | None
    spot_interruption: Rate | None  # None: history unavailable, as `history_notice` says
    pricing_success: dict[str, Rate] | None
    history_notice: str | None = None
