"""Provisioning service: the life of the instance (local process or cloud pod) a job runs on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import msgspec

from proto.base import Message


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
