"""One function per event or request: decide, store the notifications, answer queries.

An event becomes one row per channel (its id derived from the event id and the channel) in the
same transaction as its inbox entry, and only then is the message acked: a redelivery finds the
rows and adds nothing. In-app rows are delivered by being stored, and announced through the
outbox; email and Slack rows are sent by the dispatcher (delivery.py).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from libs.common.outbox import UnitOfWork
from proto.api import ServiceError
from proto.notification import (
    AcknowledgeNotification,
    GetNotificationPreferences,
    ListNotifications,
    NotificationCreated,
    NotificationPreferences,
    NotificationView,
    SetNotificationPreferences,
)
from services.notification import domain, messages, outcome
from services.notification.repository import USER_SCOPE, Notifications, Preferences, scope_of

JobLookup = Callable[[uuid.UUID], Awaitable[dict[str, Any] | None]]
# (monitoring's progress, cost's job cost, validation's results), None where not answered
OutcomeLookup = Callable[[uuid.UUID], Awaitable[tuple[dict | None, dict | None, dict | None]]]
CostLookup = Callable[[uuid.UUID], Awaitable[dict[str, Any] | None]]


async def on_event(event: Any, consumer: str, uow: UnitOfWork, lookup_job: JobLookup,
                   gateway_url: str, lookup_outcome: OutcomeLookup | None = None) -> int:
    """Store the notifications `event` calls for; returns how many wait for the dispatcher."""
    trigger = domain.trigger_of(event)
    if trigger is None:
        return 0
    job_id = getattr(event, "job_id", None)
    async with uow() as work:
        prefs = Preferences(work.conn)
        user = await prefs.get(USER_SCOPE)
        job_prefs = await prefs.get(scope_of(job_id)) if job_id else None
    where = domain.destinations(trigger, event, domain.effective(user, job_prefs))
    personal = domain.share_recipients(event)  # a share's recipients, each with their own link
    if not where and not personal:
        return 0
    # Asked outside the transaction: no row lock or open transaction waits on another service.
    job = await lookup_job(job_id) if job_id else None
    draft = messages.draft(trigger, event, job, gateway_url)
    hold = {}
    if trigger in outcome.OUTCOMES and lookup_outcome is not None:
        draft, hold = await _with_outcome(draft, job, await lookup_outcome(job_id))
    async with uow() as work:
        if not await work.first_time(consumer, event.event_id):
            return 0
        pending = await _store(work, event.event_id, job_id, draft, where, **hold)
        for address, url in personal:
            pending += await _store(work, event.event_id, job_id,
                                    messages.recipient_draft(event, url), {"email": address},
                                    recipient=address)
        return pending


async def _with_outcome(draft: messages.Draft, job: dict[str, Any] | None,
                        found: tuple[dict | None, dict | None, dict | None]
                        ) -> tuple[messages.Draft, dict[str, Any]]:
    """UJ5.1.2 / UJ4.3.1: the configuration, final metrics and final cost join the message;
    while cost has not settled, email and Slack wait for it (release_settled_costs)."""
    progress, cost, checks = found
    body, cents = draft.body, outcome.final_cost_cents(cost)
    if draft.trigger == "cancelled" and cents is not None:
        body = outcome.cancelled_body(body, outcome.dollars(cents))
    draft = dataclasses.replace(draft, body=body,
                                facts=[*draft.facts, *outcome.facts(job, progress, cost, checks)])
    return draft, ({"awaits_cost": True, "hold_s": domain.COST_HOLD_S}
                   if outcome.awaits_cost(cost) else {})


async def release_settled_costs(uow: UnitOfWork, lookup_cost: CostLookup) -> int:
    """Held notifications whose job's cost is settled now get the figure and go out; returns
    how many were released (the dispatcher is woken for them)."""
    async with uow() as work:
        waiting = await Notifications(work.conn).awaiting_cost()
    released = 0
    for job_id in waiting:
        cents = outcome.final_cost_cents(await lookup_cost(job_id))
        if cents is None:
            continue
        async with uow() as work:
            repo = Notifications(work.conn)
            for row in await repo.held_for_cost(job_id):
                facts, body = outcome.with_final_cost(
                    [tuple(f) for f in row["facts"]], row["body"], row["trigger"], cents)
                await repo.cost_settled(row["id"], facts, body)
                released += 1
    return released


async def _store(work: Any, source: uuid.UUID, job_id: uuid.UUID | None,
                 draft: messages.Draft, where: dict[str, str], recipient: str = "",
                 awaits_cost: bool = False, hold_s: float = 0.0) -> int:
    repo, pending = Notifications(work.conn), 0
    for channel, destination in where.items():
        nid = domain.notification_id(source, channel, recipient)
        in_app = channel == "in_app"
        added = await repo.add({
            "id": nid, "source_event_id": source, "channel": channel, "destination": destination,
            "job_id": job_id, "trigger": draft.trigger, "severity": draft.severity,
            "title": draft.title, "body": draft.body, "facts": draft.facts, "links": draft.links,
            "status": "delivered" if in_app else "pending",
            "awaits_cost": awaits_cost, "hold_s": 0.0 if in_app else hold_s,
        })
        if added and in_app:
            work.emit(NotificationCreated(
                event_id=nid, notification_id=nid, source_event_id=source, job_id=job_id,
                trigger=draft.trigger, severity=draft.severity, title=draft.title,
                body=draft.body, facts=draft.facts, links=draft.links))
        if added and not in_app:
            pending += 1
    return pending


# --- Preferences ---------------------------------------------------------------------------------


async def get_preferences(q: GetNotificationPreferences, uow: UnitOfWork) -> dict[str, Any]:
    async with uow() as work:
        prefs = Preferences(work.conn)
        user = await prefs.get(USER_SCOPE)
        job = await prefs.get(scope_of(q.job_id)) if q.job_id else None
    return {
        "user": domain.effective(user).as_dict(),
        "job": msgspec.to_builtins(job or NotificationPreferences()) if q.job_id else None,
        "effective": domain.effective(user, job).as_dict(),
    }


async def set_preferences(cmd: SetNotificationPreferences, uow: UnitOfWork,
                          slack_hosts: str) -> dict[str, Any]:
    p = cmd.preferences
    problem = p.slack_webhook_url and domain.slack_webhook_problem(p.slack_webhook_url, slack_hosts)
    if problem:
        raise ServiceError(
            "slack_webhook_not_allowed", problem,
            "Paste the https://hooks.slack.com/services/… URL of a Slack incoming webhook "
            "(Slack → Apps → Incoming Webhooks).", {"field": "slack_webhook_url"}, 422)
    if p.channels and "email" in p.channels and cmd.job_id is None and not p.email_to:
        raise ServiceError(
            "email_address_missing", "Email is enabled but no address is set.",
            "Add `email_to`, or take `email` out of `channels`.", {"field": "email_to"}, 422)
    async with uow() as work:
        await Preferences(work.conn).put(scope_of(cmd.job_id), p)
    return await get_preferences(GetNotificationPreferences(job_id=cmd.job_id), uow)


# --- Notifications -------------------------------------------------------------------------------


def _redacted(channel: str, destination: str) -> str:
    """A Slack webhook URL is a credential: show where it points, not the secret path."""
    if channel != "slack":
        return destination
    parts = urlsplit(destination)
    return f"{parts.scheme}://{parts.netloc}/…"


def view(row: dict[str, Any]) -> NotificationView:
    return msgspec.convert(
        {**row, "destination": _redacted(row["channel"], row["destination"]),
         "facts": [tuple(f) for f in row["facts"]]},
        NotificationView)


async def list_notifications(q: ListNotifications, uow: UnitOfWork) -> list[NotificationView]:
    async with uow() as work:
        rows = await Notifications(work.conn).list(
            q.channel, q.status, q.job_id, q.unacknowledged_only, q.limit)
    return [view(r) for r in rows]


async def acknowledge(cmd: AcknowledgeNotification, uow: UnitOfWork) -> NotificationView:
    async with uow() as work:
        row = await Notifications(work.conn).acknowledge(cmd.notification_id)
    if row is None:
        raise ServiceError.not_found("notification", cmd.notification_id)
    return view(row)
