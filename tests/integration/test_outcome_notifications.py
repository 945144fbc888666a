"""UJ5.1.2 / UJ4.3.1: a job's end reaches email and Slack with its configuration, its final
metrics and its final cost — one message, held until the cost service has settled the job.
Jobs, cost, monitoring and notification on real NATS and PostgreSQL; a real SMTP server and a
real HTTP receiver standing in for Slack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from finished_jobs import status_is
from support import eventually
from test_cost_service import FAST, create_job, instance

from proto.base import utcnow
from proto.jobs import CancelJob
from proto.notification import NotificationPreferences, SetNotificationPreferences
from proto.training import Completed, Evaluation, Progress, TrainingEventReported
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.notification.app import build as build_notification

EMAIL = "ml-team@example.com"
RATE = 600  # cents per hour: 30 minutes is $3.00


@pytest.fixture
async def stack(start_service, bus, smtp, slack):
    await start_service(build_jobs)
    await start_service(build_cost, **FAST)
    await start_service(build_monitoring)
    await start_service(build_notification, smtp_host="127.0.0.1", smtp_port=smtp.port,
                        notification_retry_base_s=0.05)
    await bus.ask(SetNotificationPreferences(preferences=NotificationPreferences(
        channels=["email", "slack"], email_to=EMAIL, slack_webhook_url=slack.url)))


def mail_text(message) -> str:
    return message.get_payload(decode=True).decode()


def mail_titled(smtp, prefix: str):
    return next((m for m in smtp.messages if m["Subject"].startswith(prefix)), None)


async def test_completion_carries_configuration_metrics_and_the_final_cost(stack, bus, settings,
                                                                         smtp, slack):
    job_id = await create_job(bus, settings, rate_cents_per_hour=RATE, estimate_cents=500)
    started, exited = instance(job_id, utcnow() - timedelta(minutes=30), utcnow())
    await bus.publish(started)
    await eventually(lambda: status_is(bus, job_id, "provisioning"))
    for event in (Progress(job_id=job_id, step=1, total_steps=2, epoch=0.5, loss=2.0,
                           learning_rate=2e-4, seq=1),
                  Progress(job_id=job_id, step=2, total_steps=2, epoch=1.0, loss=1.25,
                           learning_rate=2e-4, seq=2),
                  Evaluation(job_id=job_id, step=2, epoch=1.0, val_loss=1.5,
                             perplexity=4.4817, seq=3),
                  Completed(job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", steps=2,
                            final_loss=1.25, final_val_loss=1.5, seq=4)):
        await bus.publish(TrainingEventReported(event=event))
    await eventually(lambda: status_is(bus, job_id, "completed"))
    # The GPU is still up: cost cannot settle, so the message waits for it.
    await bus.publish(exited)

    mail = await eventually(lambda: mail_titled(smtp, "Training Job Completed:"))
    text = mail_text(mail)
    for expected in ("Preset: Balanced", "GPU: H100-80GB (spot)", "Epochs: 3",
                     "Learning rate: 0.0002", "LoRA rank: r=16, alpha=32", "Final loss: 1.2500",
                     "Validation loss: 1.5000", "Validation perplexity: 4.48",
                     "Final cost: $3.00"):
        assert expected in text, (expected, text)
    assert "being calculated" not in text
    post = await eventually(lambda: next((p for p in slack.payloads
                                          if p["text"].startswith("Training Job Completed")),
                                         None))
    fields = [f["text"] for b in post["blocks"] for f in b.get("fields", [])]
    assert "*Final cost*\n$3.00" in fields and "*Preset*\nBalanced" in fields
    assert len([m for m in smtp.messages if m["Subject"] == mail["Subject"]]) == 1


async def test_cancellation_says_the_final_cost(stack, bus, settings, smtp):
    job_id = await create_job(bus, settings, rate_cents_per_hour=RATE, estimate_cents=5_000)
    started, exited = instance(job_id, utcnow() - timedelta(hours=1), utcnow())
    await bus.publish(started)
    await eventually(lambda: status_is(bus, job_id, "provisioning"))
    await bus.ask(CancelJob(job_id=job_id, reason="Loss not decreasing"))
    await bus.publish(exited)  # provisioning terminated the GPU

    mail = await eventually(lambda: mail_titled(smtp, "Training job cancelled:"))
    text = mail_text(mail)
    assert "Job cancelled. Final cost: $6.00." in text
    assert "Final cost: $6.00" in text.splitlines()  # and among the facts
