"""Provisioning service: the life of the instance (local process or cloud pod) a job runs on."""

from __future__ import annotations

import uuid
from typing import ClassVar

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


class InstanceFailedToStart(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "provisioning.instance.failed_to_start.v1"
    job_id: uuid.UUID
    attempt: int
    message: str
