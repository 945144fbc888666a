"""Report and share notifications through the notification service's real channels (a real
SMTP server and an HTTP receiver standing in for Slack): each recipient gets their own link."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from support import eventually, handled

from proto.base import utcnow
from proto.notification import (
    ListNotifications,
    NotificationPreferences,
    SetNotificationPreferences,
)
from proto.reports import ReportReady, ShareCreated, ShareRecipient, ShareViewed
from services.notification.app import build

OWNER = "owner@brightrun.example"


@pytest.fixture
async def notification(start_service, bus, smtp, slack):
    runtime = await start_service(build, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                  notification_retry_base_s=0.05)
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        email_to=OWNER, slack_webhook_url=slack.url)))
    return runtime


def shared(job_id: uuid.UUID) -> ShareCreated:
    return ShareCreated(
        share_id=uuid.uuid4(), job_id=job_id, job_name="Advisor v1",
        url="http://rp.example/share/public-token", expires_at=utcnow() + timedelta(days=30),
        recipients=[ShareRecipient(email="cfo@client.example", url="http://rp.example/share/t-0"),
                    ShareRecipient(email="ceo@client.example", url="http://rp.example/share/t-1")],
        slack=True, summary="Bright Run validation report: Advisor v1\n- Perplexity: not run.")


async def test_share_emails_each_recipient_their_link_and_posts_once_to_slack(
        notification, bus, smtp, slack):
    event = shared(uuid.uuid4())
    await bus.publish(event)
    await bus.publish(event, msg_id=str(uuid.uuid4()))  # a redelivery changes nothing
    await eventually(lambda: len(smtp.messages) >= 2 and slack.payloads)
    await handled(bus, ShareCreated.subject, services=(notification,))  # the redelivery too
    mails = {m["To"]: m.get_payload(decode=True).decode() for m in smtp.messages}
    assert set(mails) == {"cfo@client.example", "ceo@client.example"}  # not the owner's address
    assert "http://rp.example/share/t-0" in mails["cfo@client.example"]
    assert "http://rp.example/share/t-1" in mails["ceo@client.example"]
    assert "/#/jobs/" not in mails["cfo@client.example"]  # no console link for outsiders
    assert len(slack.payloads) == 1 and "public-token" in str(slack.payloads[0])
    rows = await bus.ask(ListNotifications(job_id=event.job_id))
    assert sorted(r["channel"] for r in rows) == ["email", "email", "in_app", "slack"]


async def test_report_ready_and_first_view_notify_the_owner(notification, bus, smtp):
    job_id = uuid.uuid4()
    await bus.publish(ReportReady(job_id=job_id, version=2, job_name="Advisor v1",
                                  pdf_key="k", size_bytes=1, pages=8, generation_s=1.0))
    await bus.publish(ShareViewed(share_id=uuid.uuid4(), job_id=job_id, job_name="Advisor v1",
                                  recipient="cfo@client.example", viewed_at=utcnow()))
    await eventually(lambda: len(smtp.messages) >= 2)
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == ["Validation report ready: Advisor v1",
                        "Your shared results were opened: Advisor v1"]
    assert all(m["To"] == OWNER for m in smtp.messages)
    ready = next(m for m in smtp.messages if "ready" in m["Subject"])
    assert f"/api/v1/jobs/{job_id}/report.pdf?version=2" in ready.get_payload(decode=True).decode()
