"""The notification service against real NATS and PostgreSQL, a real SMTP server (aiosmtpd) and
a real HTTP receiver standing in for Slack: what arrives, how often, and what the list shows."""

from __future__ import annotations

import asyncio
import signal
import uuid

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.rows import dict_row
from support import eventually, handled, training_file

from libs.common.storage import open_store
from proto.base import decode
from proto.cost import CostAlertRaised
from proto.jobs import CreateJob, JobStatusChanged, RegisterTrainingFile
from proto.notification import (
    AcknowledgeNotification,
    GetNotificationPreferences,
    ListNotifications,
    NotificationCreated,
    NotificationPreferences,
    SetNotificationPreferences,
)
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import Failed, TrainingEventReported
from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs
from services.notification.app import build
from services.notification.domain import notification_id
from services.notification.repository import Notifications

EMAIL = "ops@example.com"
QUIET_S = 0.6  # how long "nothing more arrives" is watched for


@pytest.fixture
def start_notification(start_service, smtp):
    async def start(retry_base_s: float = 0.05):
        return await start_service(build, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                   notification_retry_base_s=retry_base_s)
    return start


@pytest.fixture
async def notification(start_notification, bus, slack):
    runtime = await start_notification()
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        email_to=EMAIL, slack_webhook_url=slack.url)))
    return runtime


def completed(job_id: uuid.UUID | None = None) -> JobStatusChanged:
    return JobStatusChanged(job_id=job_id or uuid.uuid4(), status="completed",
                            previous="finalizing", message="Training completed.")


async def listed(bus, **filters) -> list[dict]:
    return await bus.ask(ListNotifications(**filters))


async def by_channel(bus, event) -> dict[str, dict]:
    return {n["channel"]: n for n in await listed(bus) if n["source_event_id"] == str(event.event_id)}


async def test_completion_is_emailed_posted_to_slack_and_shown_in_app(notification, bus, smtp, slack):
    event = completed()
    await bus.publish(event)
    await eventually(lambda: smtp.messages and slack.payloads)
    mail = smtp.messages[0]
    assert mail["Subject"].startswith("Training Job Completed:") and mail["To"] == EMAIL
    assert mail["Message-ID"] == f"<{notification_id(event.event_id, 'email')}@notification.brightrun>"
    assert slack.payloads[0]["text"] == mail["Subject"]
    rows = await eventually(lambda: _all_delivered(bus, event))
    assert rows["in_app"]["title"] == mail["Subject"] and rows["in_app"]["acknowledged_at"] is None
    pushed = [decode(b, NotificationCreated) for b in await bus.stored(NotificationCreated.subject)]
    assert [p.notification_id for p in pushed] == [notification_id(event.event_id, "in_app")]


async def _all_delivered(bus, event) -> dict[str, dict] | None:
    rows = await by_channel(bus, event)
    done = len(rows) == 3 and all(r["status"] == "delivered" for r in rows.values())
    return rows if done else None


async def test_failure_notification_carries_the_error_and_a_retry_link(notification, bus, settings,
                                                                       smtp, slack):
    job_id = uuid.uuid4()
    await bus.publish(JobStatusChanged(job_id=job_id, status="failed", previous="training",
                                       message="CUDA out of memory at step 120"))
    await eventually(lambda: smtp.messages and slack.payloads)
    retry = f"{settings.gateway_url}/api/v1/jobs/{job_id}/retry"
    text = smtp.messages[0].get_payload(decode=True).decode()
    assert smtp.messages[0]["Subject"].startswith("Training Job Failed:")
    assert "CUDA out of memory at step 120" in text and retry in text
    assert retry in str(slack.payloads[0]["blocks"])
    assert "CUDA out of memory" in str(slack.payloads[0]["blocks"])


async def test_redelivered_event_is_delivered_once_per_channel(notification, bus, smtp, slack):
    event = completed()
    await bus.publish(event)
    await bus.publish(event, msg_id=f"{event.event_id}-again")  # past JetStream's dedup: a redelivery
    await eventually(lambda: _all_delivered(bus, event))
    await handled(bus, JobStatusChanged.subject, services=(notification,))  # both copies
    assert (len(smtp.messages), len(slack.payloads)) == (1, 1)
    assert len(await listed(bus)) == 3


async def test_receiver_failing_twice_gets_exactly_one_delivery_after_retries(notification, bus,
                                                                              smtp, slack):
    smtp.fail_next = slack.fail_next = 2
    event = completed()
    await bus.publish(event)
    rows = await eventually(lambda: _all_delivered(bus, event))
    await asyncio.sleep(QUIET_S)
    assert (len(smtp.messages), len(slack.payloads)) == (1, 1)
    assert (smtp.refused, slack.refused) == (2, 2)
    assert rows["email"]["attempts"] == rows["slack"]["attempts"] == 3


async def test_receiver_always_failing_ends_failed_and_visible(notification, bus, slack):
    slack.fail_always = True
    event = completed()
    await bus.publish(event)
    failed = await eventually(lambda: listed(bus, status="failed"))
    assert [(n["channel"], n["attempts"]) for n in failed] == [("slack", 4)]
    assert "500" in failed[0]["last_error"]
    assert failed[0]["destination"] == f"{slack.url.split('/services')[0]}/…"  # the secret stays out
    assert slack.refused == 4


async def test_preferences_turn_a_channel_off_for_the_user_and_for_one_job(notification, bus,
                                                                          smtp, slack):
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        channels=["in_app", "email"], email_to=EMAIL, slack_webhook_url=slack.url)))
    quiet_job = uuid.uuid4()
    await bus.ask(SetNotificationPreferences(job_id=quiet_job, preferences=NotificationPreferences(
        channels=["in_app"])))
    first, second = completed(), completed(quiet_job)
    await bus.publish(first)
    await bus.publish(second)
    await eventually(lambda: smtp.messages)
    await handled(bus, JobStatusChanged.subject, services=(notification,))  # the quiet job's too
    assert len(smtp.messages) == 1 and slack.payloads == []
    assert set(await by_channel(bus, first)) == {"in_app", "email"}
    assert set(await by_channel(bus, second)) == {"in_app"}


async def test_stage_changes_notify_only_the_stages_asked_for(notification, bus, smtp):
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        channels=["in_app"], stages=["validating"])))
    job_id = uuid.uuid4()
    for previous, status in (("preprocessing", "model_loading"), ("finalizing", "validating")):
        await bus.publish(JobStatusChanged(job_id=job_id, status=status, previous=previous))
    rows = await eventually(lambda: listed(bus))
    await handled(bus, JobStatusChanged.subject, services=(notification,))  # the unasked stage's too
    assert [n["facts"][-1] for n in await listed(bus)] == [["Status", "validating"]]
    assert rows[0]["trigger"] == "stage_changed"


async def test_kill_and_restart_does_not_duplicate(service_process, start_notification, bus,
                                                   smtp, slack):
    # A process of its own, so it can be SIGKILLed; the retry (2 s) falls after the restart.
    process = await service_process("notification", smtp_host="127.0.0.1", smtp_port=smtp.port,
                                    notification_retry_base_s=2.0)
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        email_to=EMAIL, slack_webhook_url=slack.url)))
    slack.fail_always = True  # Slack is down: its delivery is still owed when we kill the service
    event = completed()
    await bus.publish(event)
    await eventually(lambda: _email_sent_slack_owed(bus, event))
    process.kill()
    assert process.wait(10) == -signal.SIGKILL
    slack.fail_always = False
    restarted = await start_notification()
    await bus.publish(event, msg_id=f"{event.event_id}-after-restart")
    await eventually(lambda: _all_delivered(bus, event))
    await handled(bus, JobStatusChanged.subject, services=(restarted,))  # the copy after restart
    assert (len(smtp.messages), len(slack.payloads)) == (1, 1)
    assert len(await listed(bus)) == 3


async def _email_sent_slack_owed(bus, event) -> bool:
    """Both sends recorded (a send claimed and not yet recorded waits out its lease)."""
    rows = await by_channel(bus, event)
    return (rows.get("email", {}).get("status") == "delivered"
            and rows.get("slack", {}).get("status") == "pending"
            and rows["slack"]["attempts"] >= 1)


async def test_in_app_notification_is_acknowledged(notification, bus):
    event = CostAlertRaised(job_id=uuid.uuid4(), threshold_pct=80, level="approaching",
                            spend_cents=800, estimate_cents=1000, message="80% of the estimate.")
    await bus.publish(event)
    [alert] = await eventually(lambda: listed(bus, channel="in_app"))
    assert alert["trigger"] == "cost_alert" and alert["severity"] == "warning"
    acked = await bus.ask(AcknowledgeNotification(notification_id=alert["id"]))
    assert acked["acknowledged_at"] is not None
    assert await listed(bus, channel="in_app", unacknowledged_only=True) == []
    error = await bus.ask_error(AcknowledgeNotification(notification_id=uuid.uuid4()))
    assert error.error.status == 404


async def test_gateway_sets_preferences_lists_and_acknowledges(notification, bus, settings, slack):
    def drive() -> tuple:
        with TestClient(create_app(settings)) as client:
            put = client.put("/api/v1/notification-preferences",
                             json={"channels": ["in_app"], "email_to": "not-an-address"})
            ok = client.put("/api/v1/notification-preferences", json={"channels": ["in_app"]})
            return put, ok, client.get("/api/v1/notification-preferences")

    bad, ok, got = await asyncio.to_thread(drive)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert ok.status_code == 200 and got.json()["effective"]["channels"] == ["in_app"]
    event = completed()
    await bus.publish(event)
    await eventually(lambda: listed(bus))

    def ack() -> tuple:
        with TestClient(create_app(settings)) as client:
            [item] = client.get("/api/v1/notifications").json()
            acked = client.post(f"/api/v1/notifications/{item['id']}/ack")
            return item, acked, client.post(f"/api/v1/notifications/{uuid.uuid4()}/ack")

    item, acked, missing = await asyncio.to_thread(ack)
    assert item["channel"] == "in_app" and item["source_event_id"] == str(event.event_id)
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    assert missing.status_code == 404


async def test_stop_during_a_send_records_it_and_the_restart_does_not_resend(start_notification,
                                                                             bus, smtp):
    runtime = await start_notification()
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        channels=["email"], email_to=EMAIL)))
    smtp.delay_s = 0.5  # the message is on the wire when the service is told to stop
    event = completed()
    await bus.publish(event)
    await eventually(lambda: smtp.sending >= 1, interval_s=0.02)
    await runtime.stop()
    assert len(smtp.messages) == 1
    restarted = await start_notification()
    [row] = await listed(bus)
    assert (row["status"], row["attempts"]) == ("delivered", 1)
    await bus.publish(event, msg_id=f"{event.event_id}-after-restart")
    await handled(bus, JobStatusChanged.subject, services=(restarted,))
    [row] = await listed(bus)
    assert (row["status"], row["attempts"]) == ("delivered", 1)
    assert len(smtp.messages) == 1


async def test_trainer_failure_reaches_email_with_job_name_failure_class_and_fix(
        notification, start_service, bus, settings, smtp):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    data, key = training_file(), f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="f.json",
                                              size_bytes=len(data)))
    job = await bus.ask(CreateJob(training_file_id=file["id"], name="Advisor v3"))
    job_id = uuid.UUID(job["id"])
    await bus.publish(InstanceStarted(job_id=job_id, attempt=1, instance_id="i", provider="local"))
    await eventually(lambda: len(smtp.messages) >= 1)  # job started
    await bus.publish(TrainingEventReported(event=Failed(
        job_id=job_id, failure_class="out_of_memory", message="Ran out of memory at step 3.",
        suggested_fix="Halve the micro-batch, double accumulation.", step=3)))
    # The trainer exits on its failure: the cost service settles the job, and the email that
    # waited for its final cost goes out.
    await bus.publish(InstanceExited(job_id=job_id, attempt=1, instance_id="i", exit_code=1))
    await eventually(lambda: len(smtp.messages) >= 2)
    started, failure = smtp.messages[:2]
    assert started["Subject"] == "Training job started: Advisor v3"
    assert failure["Subject"] == "Training Job Failed: Advisor v3"
    text = failure.get_payload(decode=True).decode()
    for expected in ("Ran out of memory at step 3.", "Failure: out_of_memory",
                     "Suggested fix: Halve the micro-batch", f"/api/v1/jobs/{job_id}/retry"):
        assert expected in text


async def test_gateway_pushes_in_app_notifications_over_the_websocket(notification, bus, settings):
    loop, event = asyncio.get_running_loop(), completed()

    def watch() -> dict:
        with TestClient(create_app(settings)) as client, \
                client.websocket_connect("/api/v1/notifications/live") as socket:
            asyncio.run_coroutine_threadsafe(bus.publish(event), loop).result(10)
            return socket.receive_json(timeout=15)

    frame = await asyncio.to_thread(watch)
    assert frame["type"] == "notification"
    assert frame["data"]["source_event_id"] == str(event.event_id)
    assert frame["data"]["title"].startswith("Training Job Completed")


async def test_send_abandoned_by_a_dead_process_is_taken_over_after_its_lease(
        start_notification, bus, settings, smtp):
    await start_notification(retry_base_s=30.0)  # after one refusal, the retry is far off
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        channels=["email"], email_to=EMAIL)))
    smtp.fail_next = 1
    await bus.publish(completed())

    async def refused_once() -> list[dict]:  # the row is pending from its insert, before any try
        return [r for r in await listed(bus, status="pending") if r["attempts"] == 1]
    await eventually(refused_once)
    # What a process that claimed the row and died before sending leaves: `sending`, its lease
    # already run out.
    async with await psycopg.AsyncConnection.connect(
            settings.database_url, row_factory=dict_row,
            options="-c search_path=notification") as conn, conn.transaction():
        await conn.execute("UPDATE notifications SET next_attempt_at = now()")
        assert len(await Notifications(conn).claim_due(10, lease_s=0.0)) == 1
    [row] = await eventually(lambda: listed(bus, status="delivered"))
    assert len(smtp.messages) == 1 and row["attempts"] == 3


async def test_a_slack_webhook_to_an_internal_address_is_refused_and_nothing_saved(
        start_notification, bus):
    await start_notification()
    before = await bus.ask(GetNotificationPreferences())
    error = await bus.ask_error(SetNotificationPreferences(preferences=NotificationPreferences(
        slack_webhook_url="https://169.254.169.254/latest/meta-data")))
    assert error.error.status == 422 and error.error.code == "slack_webhook_not_allowed"
    assert "hooks.slack.com" in error.error.how_to_fix
    assert await bus.ask(GetNotificationPreferences()) == before
