"""The job: its lifecycle state machine, configuration from presets, and naming. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from proto.api import ServiceError
from proto.jobs import TERMINAL_STATUSES
from proto.presets import PRESETS

# The order a job moves through; a trainer stage event can skip ahead, never move back.
LIFECYCLE = [
    "queued", "provisioning", "preprocessing", "model_loading", "training",
    "finalizing", "validating", "completed",
]


@dataclass
class Job:
    id: uuid.UUID
    name: str
    status: str = "queued"
    status_message: str = ""
    attempt: int = 1
    started_at: datetime | None = None
    finished_at: datetime | None = None
    adapter_key: str | None = None
    error: dict | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (previous, new, message)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def _move(self, status: str, message: str, at: datetime) -> None:
        self.changes.append((self.status, status, message))
        self.status, self.status_message = status, message
        if status == "provisioning" and self.started_at is None:
            self.started_at = at
        if status in TERMINAL_STATUSES:
            self.finished_at = at

    def advance(self, status: str, message: str, at: datetime) -> bool:
        """Move forward along the lifecycle; stale or backward moves are ignored (False)."""
        if self.is_terminal:
            return False
        if self.status == "recovering" and status in LIFECYCLE:
            self._move(status, message, at)
            return True
        if LIFECYCLE.index(status) <= LIFECYCLE.index(self.status):
            return False
        self._move(status, message, at)
        return True

    def complete(self, adapter_key: str, at: datetime) -> bool:
        if self.is_terminal:
            return False
        self.adapter_key = adapter_key
        self._move("completed", "Training completed; the adapter is ready to download.", at)
        return True

    def fail(self, error: dict, at: datetime) -> bool:
        """Fail a live job; on an already failed one, richer details from the trainer still land."""
        if self.status == "failed":
            if error.get("source") == "trainer" and (self.error or {}).get("source") != "trainer":
                self.error = error
            return False
        if self.is_terminal:
            return False
        self.error = error
        self._move("failed", error.get("message", "Training failed."), at)
        return True

    def cancel(self, reason: str, at: datetime) -> None:
        if self.is_terminal:
            raise ServiceError(
                "job_not_cancellable", f"Job {self.name!r} is already {self.status}.",
                "Only queued or running jobs can be cancelled.", {"status": self.status}, 409,
            )
        self._move("cancelled", reason, at)


def default_job_name(file_name: str, preset: str, at: datetime) -> str:
    return f"{file_name} - {PRESETS[preset].title} - {at:%Y-%m-%d}"


def unique_job_name(name: str, taken: set[str], at: datetime) -> str:
    """UJ1.3.1: a duplicate name gets a timestamp appended rather than an error."""
    if name not in taken:
        return name
    candidate, n = f"{name} ({at:%Y-%m-%d %H:%M:%S})", 2
    while candidate in taken:
        candidate, n = f"{name} ({at:%Y-%m-%d %H:%M:%S} #{n})", n + 1
    return candidate
