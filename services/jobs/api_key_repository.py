"""SQL for API keys (issue 15)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection


class ApiKeys:
    """Issue 15: API keys, only their hashes (030_api_keys.sql)."""

    COLUMNS = "id, name, role, prefix, created_at, revoked_at, last_used_at"

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> dict[str, Any]:
        cur = await self.conn.execute(
            "INSERT INTO api_keys (id, name, role, key_hash, prefix) VALUES (%(id)s, %(name)s, "
            f"%(role)s, %(key_hash)s, %(prefix)s) RETURNING {self.COLUMNS}", row)
        return await cur.fetchone()

    async def list(self, include_revoked: bool) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            f"SELECT {self.COLUMNS} FROM api_keys WHERE %s OR revoked_at IS NULL "
            "ORDER BY created_at DESC", (include_revoked,))
        return await cur.fetchall()

    async def revoke(self, key_id: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s "
            f"RETURNING {self.COLUMNS}", (key_id,))
        return await cur.fetchone()

    async def active(self, key_hash: str) -> dict[str, Any] | None:
        """The unrevoked key with this hash, its last use noted (at most once a minute, so a
        busy key does not write on every verification)."""
        cur = await self.conn.execute(
            "UPDATE api_keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < "
            "now() - interval '1 minute' THEN now() ELSE last_used_at END "
            f"WHERE key_hash = %s AND revoked_at IS NULL RETURNING {self.COLUMNS}", (key_hash,))
        return await cur.fetchone()
