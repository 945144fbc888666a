"""SQL for the notification schema: preferences, and the notifications that are also the ledger."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from proto.notification import NotificationPreferences

USER_SCOPE = "user:default"  # MVP: one user, no auth
PREF_FIELDS = ("channels", "triggers", "stages", "email_to", "slack_webhook_url")


def scope_of(job_id: uuid.UUID | None) -> str:
    return USER_SCOPE if job_id is None else f"job:{job_id}"


class Preferences:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, scope: str) -> NotificationPreferences | None:
        row = await (await self.conn.execute(
            f"SELECT {', '.join(PREF_FIELDS)} FROM preferences WHERE scope = %s", (scope,)
        )).fetchone()
        return None if row is None else msgspec.convert(row, NotificationPreferences)

    async def put(self, scope: str, prefs: NotificationPreferences) -> None:
        values = msgspec.structs.asdict(prefs)
        await self.conn.execute(
            f"INSERT INTO preferences (scope, {', '.join(PREF_FIELDS)}) VALUES (%(scope)s, "
            f"{', '.join(f'%({f})s' for f in PREF_FIELDS)}) ON CONFLICT (scope) DO UPDATE SET "
            f"{', '.join(f'{f} = EXCLUDED.{f}' for f in PREF_FIELDS)}, updated_at = now()",
            {"scope": scope, **values},
        )


class Notifications:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> bool:
        """Store one notification; False when it exists already (the event was seen before)."""
        cur = await self.conn.execute(
            "INSERT INTO notifications (id, source_event_id, channel, destination, job_id, "
            "trigger, severity, title, body, facts, links, status, delivered_at, awaits_cost, "
            "next_attempt_at) VALUES "
            "(%(id)s, %(source_event_id)s, %(channel)s, %(destination)s, %(job_id)s, %(trigger)s, "
            "%(severity)s, %(title)s, %(body)s, %(facts)s, %(links)s, %(status)s, "
            "CASE WHEN %(status)s = 'delivered' THEN now() END, %(awaits_cost)s, "
            "now() + make_interval(secs => %(hold_s)s)) ON CONFLICT DO NOTHING",
            {"awaits_cost": False, "hold_s": 0.0, **row, "facts": Jsonb(row["facts"]),
             "links": Jsonb(row["links"])},
        )
        return cur.rowcount == 1

    async def claim_due(self, limit: int, lease_s: float) -> list[dict[str, Any]]:
        """Take due deliveries for sending; SKIP LOCKED lets several replicas share the work.

        A 'sending' row whose lease ran out belongs to a process that died mid-send: it is due
        again (the one window where a message may go out twice).
        """
        cur = await self.conn.execute(
            "UPDATE notifications SET status = 'sending', attempts = attempts + 1, "
            "lease_until = now() + make_interval(secs => %s) WHERE id IN ("
            "  SELECT id FROM notifications WHERE (status = 'pending' AND next_attempt_at <= now())"
            "  OR (status = 'sending' AND lease_until < now())"
            "  ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *",
            (lease_s, limit),
        )
        return await cur.fetchall()

    async def delivered(self, id_: uuid.UUID) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = 'delivered', delivered_at = now(), "
            "lease_until = NULL, last_error = NULL WHERE id = %s AND status = 'sending'", (id_,))

    async def attempt_failed(self, id_: uuid.UUID, error: str, retry_in: timedelta | None) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = %s, last_error = %s, lease_until = NULL, "
            "next_attempt_at = now() + %s WHERE id = %s AND status = 'sending'",
            ("failed" if retry_in is None else "pending", error[:2000],
             retry_in or timedelta(0), id_),
        )

    async def acknowledge(self, id_: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            "UPDATE notifications SET acknowledged_at = coalesce(acknowledged_at, now()) "
            "WHERE id = %s RETURNING *", (id_,))
        return await cur.fetchone()

    async def list(self, channel: str | None, status: str | None, job_id: uuid.UUID | None,
                   unacknowledged_only: bool, limit: int) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT * FROM notifications WHERE (%(channel)s::text IS NULL OR channel = %(channel)s)"
            " AND (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(job)s::uuid IS NULL OR job_id = %(job)s)"
            " AND (NOT %(unacked)s OR acknowledged_at IS NULL)"
            " ORDER BY created_at DESC, channel LIMIT %(limit)s",
            {"channel": channel, "status": status, "job": job_id, "unacked": unacknowledged_only,
             "limit": limit},
        )
        return await cur.fetchall()

    async def awaiting_cost(self, limit: int = 50) -> list[uuid.UUID]:
        """Jobs with a notification held for its final cost and not yet sent (in-app rows
        are shown already; they get the figure too)."""
        cur = await self.conn.execute(
            "SELECT DISTINCT job_id FROM notifications WHERE awaits_cost "
            "AND (status = 'pending' OR channel = 'in_app') "
            "AND created_at > now() - interval '1 hour' LIMIT %s", (limit,))
        return [r["job_id"] for r in await cur.fetchall()]

    async def held_for_cost(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT id, trigger, body, facts FROM notifications WHERE job_id = %s AND awaits_cost "
            "AND (status = 'pending' OR channel = 'in_app') FOR UPDATE", (job_id,))
        return await cur.fetchall()

    async def cost_settled(self, id_: uuid.UUID, facts: list, body: str) -> None:
        """The figure is in: send now (a pending row), or just show it (in-app)."""
        await self.conn.execute(
            "UPDATE notifications SET facts = %s, body = %s, awaits_cost = false, "
            "next_attempt_at = CASE WHEN status = 'pending' THEN now() ELSE next_attempt_at END "
            "WHERE id = %s", (Jsonb(facts), body, id_))
