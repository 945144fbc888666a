"""Notification service wiring: job, stage and cost events in; in-app, email and Slack out."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from libs.common.bus import call, durable_each, rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from proto.cost import BudgetAlertRaised, CostAlertRaised, CostCapReached, GetJobCost
from proto.jobs import GetJob, JobStatusChanged, StageStuck
from proto.monitoring import GetProgress
from proto.notification import (
    AcknowledgeNotification,
    GetNotificationPreferences,
    ListNotifications,
    SetNotificationPreferences,
)
from proto.reports import ReportReady, ShareCreated, ShareViewed
from proto.validation import GetValidation, ValidationCompleted, ValidationFailed
from services.notification import handlers
from services.notification.channels import EmailChannel, SlackChannel
from services.notification.delivery import Dispatcher

log = logging.getLogger(__name__)
# Every event that may notify someone. Validation done and report shared (issue 5) join here
# once the validation and packaging services publish them: a subject and a case in
# domain.trigger_of / messages.draft.
TRIGGERING_EVENTS: tuple[type, ...] = (
    JobStatusChanged, StageStuck, CostAlertRaised, BudgetAlertRaised, CostCapReached,
    ReportReady, ShareCreated, ShareViewed, ValidationCompleted, ValidationFailed)


def consumer_name(event_type: type) -> str:
    _, entity, happened, _ = event_type.subject.split(".")
    return f"notification-on-{entity}-{happened}".replace("_", "-")


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("notification", settings, Path(__file__).with_name("migrations"))
    broker, uow = runtime.broker, runtime.uow
    dispatcher = Dispatcher(
        uow, {"email": EmailChannel(settings), "slack": SlackChannel(settings.slack_webhook_hosts)},
        retry_base_s=settings.notification_retry_base_s,
        poll_s=min(1.0, max(0.05, settings.notification_retry_base_s / 2)))

    async def lookup_job(job_id: uuid.UUID) -> dict[str, Any] | None:
        # The job's name and error make a better message; without them it still goes out.
        try:
            return await call(broker, GetJob(job_id=job_id), timeout_s=2.0,
                              wait_for_service=False)
        except Exception as exc:
            log.info("job %s not looked up (%s); notifying by id", job_id, exc)
            return None

    async def ask(question: Any, what: str) -> dict[str, Any] | None:
        try:
            return await call(broker, question, timeout_s=2.0, wait_for_service=False)
        except Exception as exc:
            log.info("%s not looked up (%s); notifying without it", what, exc)
            return None

    async def lookup_outcome(job_id: uuid.UUID) -> tuple[dict | None, ...]:
        # UJ5.1.2 final metrics (monitoring, validation) and UJ4.3.1 final cost, for a job's end.
        return (await ask(GetProgress(job_id=job_id), "progress"),
                await ask(GetJobCost(job_id=job_id), "cost"),
                await ask(GetValidation(job_id=job_id), "validation"))

    async def on_event(event: Any) -> None:
        consumer = consumer_name(type(event))
        if await handlers.on_event(event, consumer, uow, lookup_job, settings.gateway_url,
                                   lookup_outcome):
            dispatcher.wake()

    @runtime.background
    async def release_settled_costs() -> None:
        # A job's end held for its final cost goes out as soon as cost has settled it.
        while True:
            if await handlers.release_settled_costs(
                    uow, lambda job_id: ask(GetJobCost(job_id=job_id), "cost")):
                dispatcher.wake()
            await asyncio.sleep(1.0)

    durable_each(broker, TRIGGERING_EVENTS, consumer_name, on_event)

    @rpc(broker, GetNotificationPreferences)
    async def get_preferences(q: GetNotificationPreferences):
        return await handlers.get_preferences(q, uow)

    @rpc(broker, SetNotificationPreferences)
    async def set_preferences(cmd: SetNotificationPreferences):
        return await handlers.set_preferences(cmd, uow, settings.slack_webhook_hosts)

    @rpc(broker, ListNotifications)
    async def list_notifications(q: ListNotifications):
        return await handlers.list_notifications(q, uow)

    @rpc(broker, AcknowledgeNotification)
    async def acknowledge(cmd: AcknowledgeNotification):
        return await handlers.acknowledge(cmd, uow)

    runtime.background(dispatcher.run)
    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
