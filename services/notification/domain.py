"""Which events notify whom, on which channels, and when a failed delivery is tried again.

Plain Python, no I/O: the handlers load preferences and save rows; this decides.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from proto.cost import BudgetAlertRaised, CostAlertRaised, CostCapReached
from proto.jobs import TERMINAL_STATUSES, JobStatusChanged, StageStuck
from proto.notification import Channel, NotificationPreferences, Trigger
from proto.reports import ReportReady, ShareCreated, ShareViewed
from proto.validation import ValidationCompleted, ValidationFailed

ALL_CHANNELS: tuple[Channel, ...] = ("in_app", "email", "slack")
# Everything that needs a person, on by default; plain stage changes only for listed stages.
DEFAULT_TRIGGERS: tuple[Trigger, ...] = (
    "job_started", "stage_changed", "interrupted", "recovered", "stage_stuck", "gpu_unavailable",
    "completed",
    "failed", "cancelled", "cost_alert", "budget_alert",
    "report_ready", "report_shared", "share_viewed",
    "validation_done", "validation_failed",
)
# UJ4.3.1 "Job cancelled. Final cost: $22.18": a job's end waits this long for the cost
# service to settle (it does once the GPU is gone: seconds); after it, it goes without.
COST_HOLD_S = 120.0
MAX_ATTEMPTS = 4  # the first try and 3 retries (UJ5.1.2: "Email delivery failed - retry 3 times")
NOTIFICATION_NS = uuid.UUID("6f1c1c52-6a43-4f3e-9c1e-2b7d7a6e0a51")


def notification_id(source_event_id: uuid.UUID, channel: Channel,
                    recipient: str = "") -> uuid.UUID:
    """Deterministic: a redelivered or re-processed event lands on the same row, never a new one.
    `recipient`: one event sent to several people of its own (a share's recipients)."""
    name = f"{source_event_id}:{channel}" + (f":{recipient}" if recipient else "")
    return uuid.uuid5(NOTIFICATION_NS, name)


def message_id(notification: uuid.UUID) -> str:
    """The email `Message-ID`: stable per notification, so a resend in the crash window is
    recognisably the same message to the receiving mail system."""
    return f"<{notification}@notification.brightrun>"


def retry_delay(attempts_made: int, base_s: float) -> timedelta | None:
    """Exponential backoff after `attempts_made` failed tries (base, 2×, 4×); None: give up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=base_s * 2 ** (attempts_made - 1))


# --- From an event to a trigger ------------------------------------------------------------------


def trigger_of(event: Any) -> Trigger | None:
    """The trigger an event fires, or None when it is nothing to tell anyone about."""
    match event:
        case JobStatusChanged(validation_rerun=True):
            return None  # ValidationCompleted/ValidationFailed tell of the re-run, once
        case JobStatusChanged(status="provisioning", previous="queued" | "waiting_for_gpu"):
            return "job_started"
        case JobStatusChanged(status="waiting_for_gpu"):
            return "gpu_unavailable"
        case JobStatusChanged(status="recovering"):
            return "interrupted"
        case JobStatusChanged(status=status, previous="recovering") if status not in TERMINAL_STATUSES:
            return "recovered"
        case JobStatusChanged(status="completed" | "failed" | "cancelled" as status):
            return status
        case JobStatusChanged(status="queued"):
            return None  # the user just created it: nothing to tell
        case JobStatusChanged():
            return "stage_changed"
        case StageStuck():
            return "stage_stuck"
        case CostAlertRaised() | CostCapReached():
            return "cost_alert"
        case BudgetAlertRaised():
            return "budget_alert"
        case ReportReady():
            return "report_ready"
        case ShareCreated():
            return "report_shared"
        case ShareViewed():
            return "share_viewed"
        case ValidationCompleted():
            return "validation_done"
        case ValidationFailed():
            return "validation_failed"
    return None


# --- Preferences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effective:
    """What applies to one notification: the user's choices with the job's overrides on top."""

    channels: tuple[Channel, ...]
    triggers: tuple[Trigger, ...]
    stages: tuple[str, ...]
    email_to: str | None
    slack_webhook_url: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"channels": list(self.channels), "triggers": list(self.triggers),
                "stages": list(self.stages), "email_to": self.email_to,
                "slack_webhook_url": self.slack_webhook_url}


def effective(user: NotificationPreferences | None,
              job: NotificationPreferences | None = None) -> Effective:
    user = user or NotificationPreferences()
    job = job or NotificationPreferences()

    def pick(name: str, default: Any) -> Any:
        for source in (job, user):
            value = getattr(source, name)
            if value is not None:
                return value
        return default

    return Effective(
        channels=tuple(dict.fromkeys(pick("channels", ALL_CHANNELS))),
        triggers=tuple(dict.fromkeys(pick("triggers", DEFAULT_TRIGGERS))),
        stages=tuple(pick("stages", ())),
        email_to=pick("email_to", None),
        slack_webhook_url=pick("slack_webhook_url", None),
    )


def destinations(trigger: Trigger, event: Any, prefs: Effective) -> dict[Channel, str]:
    """Channel → where it goes ("" in-app), for the channels this event should reach."""
    if trigger not in prefs.triggers:
        return {}
    if trigger == "stage_changed" and getattr(event, "status", None) not in prefs.stages:
        return {}
    where = {"in_app": "", "email": prefs.email_to, "slack": prefs.slack_webhook_url}
    if trigger == "report_shared":
        # UJ5.3.2: the link goes to the recipients (share_recipients), Slack only when asked.
        where["email"] = None
        where["slack"] = prefs.slack_webhook_url if getattr(event, "slack", False) else None
    # An enabled channel with nowhere to send is skipped, not failed: it was never configured.
    return {c: where[c] for c in prefs.channels if where[c] is not None}


def slack_webhook_problem(url: str, allowed_hosts: str) -> str | None:
    """Why a Slack webhook URL may not be used, or None. Only https on an allowed host (Slack's
    own by default), or a host an operator allowed with an explicit "http://host" entry: a
    preference must never make the platform post to an internal address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for entry in (e.strip().lower() for e in allowed_hosts.split(",") if e.strip()):
        scheme, _, name = entry.rpartition("://")
        if host == name and parts.scheme == (scheme or "https"):
            return None
    return (f"{url.split('?')[0][:80]!r} is not a Slack incoming-webhook URL this installation "
            f"posts to (allowed: {allowed_hosts}).")


def share_recipients(event: Any) -> list[tuple[str, str]]:
    """(address, their own link) for each recipient of a share: emailed whatever the owner's
    preferences say, because the owner asked for exactly these emails (UJ5.3.2)."""
    if not isinstance(event, ShareCreated):
        return []
    return [(r.email, r.url) for r in event.recipients]
