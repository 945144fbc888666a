"""Which events notify, on which channels, under which preferences; ids and backoff."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from proto.cost import BudgetAlertRaised, CostAlertRaised
from proto.jobs import JobStatusChanged, StageStuck
from proto.notification import NotificationPreferences
from services.notification.domain import (
    destinations,
    effective,
    message_id,
    notification_id,
    retry_delay,
    slack_webhook_problem,
    trigger_of,
)

JOB = uuid.uuid4()
EVERYWHERE = NotificationPreferences(email_to="ops@example.com",
                                     slack_webhook_url="https://hooks.slack.com/services/T/B/x")


def status(new: str, previous: str | None) -> JobStatusChanged:
    return JobStatusChanged(job_id=JOB, status=new, previous=previous)


@pytest.mark.parametrize(("previous", "new", "trigger"), [
    ("queued", "provisioning", "job_started"),
    ("training", "recovering", "interrupted"),
    ("recovering", "training", "recovered"),
    ("recovering", "failed", "failed"),
    ("finalizing", "completed", "completed"),
    ("training", "cancelled", "cancelled"),
    ("preprocessing", "model_loading", "stage_changed"),
    (None, "queued", None),
])
def test_job_status_changes_map_to_triggers(previous, new, trigger):
    assert trigger_of(status(new, previous)) == trigger


@pytest.mark.parametrize(("previous", "new"), [("completed", "validating"), ("validating", "completed")])
def test_a_validation_reruns_moves_tell_nobody_the_job_completed_again(previous, new):
    rerun = JobStatusChanged(job_id=JOB, status=new, previous=previous, validation_rerun=True)
    assert trigger_of(rerun) is None
    assert trigger_of(status(new, previous)) is not None  # the first time through, they do


def test_stuck_stage_and_cost_events_are_triggers():
    assert trigger_of(StageStuck(job_id=JOB, stage="training", elapsed_s=9, expected_s=4)) == "stage_stuck"
    assert trigger_of(CostAlertRaised(job_id=JOB, threshold_pct=80, level="approaching",
                                      spend_cents=8, estimate_cents=10, message="")) == "cost_alert"
    assert trigger_of(BudgetAlertRaised(month="2026-11", threshold_pct=95, spent_cents=95,
                                        limit_cents=100, message="")) == "budget_alert"


def test_defaults_send_in_app_only_until_an_address_is_set():
    assert destinations("completed", status("completed", "finalizing"), effective(None)) == {"in_app": ""}
    assert set(destinations("completed", status("completed", "finalizing"),
                            effective(EVERYWHERE))) == {"in_app", "email", "slack"}


def test_job_overrides_win_and_null_fields_inherit_the_users():
    job = NotificationPreferences(channels=["email"])
    prefs = effective(EVERYWHERE, job)
    assert prefs.channels == ("email",) and prefs.email_to == "ops@example.com"
    assert destinations("failed", status("failed", "training"), prefs) == {"email": "ops@example.com"}


def test_a_trigger_left_out_sends_nothing():
    prefs = effective(NotificationPreferences(triggers=["failed"], email_to="a@b.co"))
    assert destinations("completed", status("completed", "finalizing"), prefs) == {}
    assert destinations("failed", status("failed", "training"), prefs) == {"in_app": "",
                                                                           "email": "a@b.co"}


def test_stage_changes_notify_only_listed_stages():
    prefs = effective(NotificationPreferences(stages=["validating"]))
    assert destinations("stage_changed", status("training", "model_loading"), prefs) == {}
    assert destinations("stage_changed", status("validating", "finalizing"), prefs) == {"in_app": ""}


def test_notification_ids_are_deterministic_per_event_and_channel():
    event = uuid.uuid4()
    assert notification_id(event, "email") == notification_id(event, "email")
    assert len({notification_id(event, c) for c in ("in_app", "email", "slack")}) == 3
    assert message_id(notification_id(event, "email")).startswith("<")


def test_three_retries_with_exponential_backoff_then_give_up():
    assert [retry_delay(n, 2.0) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8), None]


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T0/B0/secret",
    "http://127.0.0.1:8123/hook",  # allowed by the operator's explicit http entry below
])
def test_slack_webhooks_on_allowed_hosts_are_accepted(url):
    assert slack_webhook_problem(url, "hooks.slack.com,http://127.0.0.1") is None


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/services/T0/B0/secret",  # Slack's host, but not over https
    "https://169.254.169.254/latest/meta-data",  # cloud metadata: an internal address
    "https://10.0.0.5/hook",
    "https://hooks.slack.com.evil.example/services/x",
    "https://127.0.0.1:8123/hook",  # the operator allowed loopback over http only
    "file:///etc/passwd",
])
def test_slack_webhooks_anywhere_else_are_refused(url):
    problem = slack_webhook_problem(url, "hooks.slack.com,http://127.0.0.1")
    assert problem is not None and "allowed: hooks.slack.com" in problem
