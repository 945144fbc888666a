"""SQL for share links and their views in the packaging schema (migrations/050_reports.sql)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb


class Shares:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO shares (id, job_id, job_name, created_at, expires_at, recipients, slack) "
            "VALUES (%(id)s, %(job_id)s, %(job_name)s, %(created_at)s, %(expires_at)s, "
            "%(recipients)s, %(slack)s)", {**row, "recipients": Jsonb(row["recipients"])})

    async def get(self, share_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self.conn.execute(
            "SELECT * FROM shares WHERE id = %s", (share_id,))).fetchone()

    async def of_job(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self.conn.execute(
            "SELECT * FROM shares WHERE job_id = %s ORDER BY created_at DESC", (job_id,))).fetchall()

    async def revoke(self, share_id: uuid.UUID, at: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE shares SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", (at, share_id))
        return cur.rowcount == 1

    async def add_view(self, share_id: uuid.UUID, at: datetime, recipient: str | None,
                       address_hash: str, what: str) -> bool:
        """Record a view; True when it is the share's first (locked, so only one caller is)."""
        await self.conn.execute("SELECT 1 FROM shares WHERE id = %s FOR UPDATE", (share_id,))
        first = await (await self.conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM share_views WHERE share_id = %s) AS first",
            (share_id,))).fetchone()
        await self.conn.execute(
            "INSERT INTO share_views (share_id, at, recipient, address_hash, what) "
            "VALUES (%s, %s, %s, %s, %s)", (share_id, at, recipient, address_hash, what))
        return first["first"]

    async def views(self, share_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        return await (await self.conn.execute(
            "SELECT share_id, at, recipient, address_hash, what FROM share_views "
            "WHERE share_id = ANY(%s) ORDER BY at", (share_ids,))).fetchall()
