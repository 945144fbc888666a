"""Notification service: in-app notifications, email and Slack deliveries (UJ5.1.2, UJ4.1.1,
UJ3.2.2), and the preferences that choose them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.base import Message
from proto.jobs import JobStatus

Channel = Literal["in_app", "email", "slack"]
Trigger = Literal[
    "job_started",  # queued → provisioning: the job got its first instance
    "stage_changed",  # any other status the user listed in `stages`
    "interrupted",  # → recovering (UJ4.1.1)
    "recovered",  # recovering → training again
    "stage_stuck",  # a stage ran past twice its expected time (UJ3.3.1)
    "gpu_unavailable",  # no GPU to rent: the job waits for the user's choice (UJ2.1.2)
    "completed",
    "failed",
    "cancelled",
    "cost_alert",  # a job's spend crossed a share of its estimate, or its hard cap (UJ3.2.2)
    "budget_alert",  # month-to-date spend crossed a share of the monthly limit (UJ6.3.2)
    "report_ready",  # a validation report version was generated (UJ5.3.1)
    "report_shared",  # a share link was made: the owner hears, each recipient gets it (UJ5.3.2)
    "share_viewed",  # a share link was opened for the first time (UJ5.3.2)
    "validation_done",  # every suite of a validation run has its result (issue 12)
    "validation_failed",  # no suite of a run produced a result; the adapter is kept
]
DeliveryStatus = Literal["pending", "sending", "delivered", "failed"]
Severity = Literal["info", "success", "warning", "error"]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
WebhookUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2000)]


class NotificationCreated(Message, frozen=True, kw_only=True):
    """An in-app notification was stored: the gateway pushes it to the console's websocket."""

    subject: ClassVar[str] = "notification.notification.created.v1"
    notification_id: uuid.UUID
    source_event_id: uuid.UUID
    job_id: uuid.UUID | None = None
    trigger: Trigger
    severity: Severity
    title: str
    body: str
    facts: list[tuple[str, str]] = msgspec.field(default_factory=list)
    links: dict[str, str] = msgspec.field(default_factory=dict)


# --- Preferences ---------------------------------------------------------------------------------


class NotificationPreferences(msgspec.Struct, frozen=True, kw_only=True):
    """A user's choices, or one job's overrides of them (a null field inherits the user's).

    `stages` lists the statuses whose arrival the user wants to hear about (`stage_changed`).
    Email and Slack are sent only where an address / webhook URL is set.
    """

    channels: list[Channel] | None = None
    triggers: list[Trigger] | None = None
    stages: list[JobStatus] | None = None
    email_to: Email | None = None
    slack_webhook_url: WebhookUrl | None = None


class PreferencesView(msgspec.Struct, frozen=True, kw_only=True):
    """What GetNotificationPreferences and SetNotificationPreferences answer: the user's
    choices (defaults filled in), the job's overrides (None without a job id; null fields
    inherit), and what applies with the overrides on top."""

    user: NotificationPreferences
    job: NotificationPreferences | None
    effective: NotificationPreferences


class GetNotificationPreferences(msgspec.Struct, frozen=True, kw_only=True):
    """Answers `{"user", "job", "effective"}`; `job` is null without a job id."""

    subject: ClassVar[str] = "rpc.notification.get_preferences"
    job_id: uuid.UUID | None = None


class SetNotificationPreferences(msgspec.Struct, frozen=True, kw_only=True):
    """Replace the user's preferences (job_id null) or one job's overrides; answers as Get does."""

    subject: ClassVar[str] = "rpc.notification.set_preferences"
    job_id: uuid.UUID | None = None
    preferences: NotificationPreferences


# --- Notifications -------------------------------------------------------------------------------


class ListNotifications(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; every channel's delivery, so a failed email is as visible as a banner."""

    subject: ClassVar[str] = "rpc.notification.list"
    channel: Channel | None = None
    status: DeliveryStatus | None = None
    job_id: uuid.UUID | None = None
    unacknowledged_only: bool = False
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100


class AcknowledgeNotification(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.notification.acknowledge"
    notification_id: uuid.UUID


class NotificationView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    source_event_id: uuid.UUID
    channel: Channel
    destination: str  # the address or webhook the delivery went to; "" in-app
    job_id: uuid.UUID | None
    trigger: Trigger
    severity: Severity
    title: str
    body: str
    facts: list[tuple[str, str]]
    links: dict[str, str]
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
