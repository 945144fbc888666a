"""SQL for report versions in the packaging schema (migrations/050_reports.sql)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

CLAIM_TIMEOUT_S = 120  # a claim older than this was a worker that died: another takes it over


class Reports:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_version(self, job_id: uuid.UUID, partial: bool, at: datetime) -> int:
        # The job's rows are locked by the advisory lock, so two requests get two numbers.
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"report:{job_id}",))
        row = await (await self.conn.execute(
            "INSERT INTO report_versions (job_id, version, status, partial, requested_at) "
            "SELECT %s, COALESCE(MAX(version), 0) + 1, 'generating', %s, %s "
            "FROM report_versions WHERE job_id = %s RETURNING version",
            (job_id, partial, at, job_id))).fetchone()
        return row["version"]

    async def versions(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self.conn.execute(
            "SELECT * FROM report_versions WHERE job_id = %s ORDER BY version DESC",
            (job_id,))).fetchall()

    async def version(self, job_id: uuid.UUID, version: int | None) -> dict[str, Any] | None:
        """One version, or the newest ready one."""
        if version is not None:
            query, args = "AND version = %s", (job_id, version)
        else:
            query, args = "AND status = 'ready' ORDER BY version DESC LIMIT 1", (job_id,)
        return await (await self.conn.execute(
            f"SELECT * FROM report_versions WHERE job_id = %s {query}", args)).fetchone()

    async def claim(self, now: datetime) -> dict[str, Any] | None:
        """The oldest version waiting to be rendered, claimed by this worker."""
        return await (await self.conn.execute(
            "UPDATE report_versions SET claimed_at = %s, attempts = attempts + 1 "
            "WHERE (job_id, version) = (SELECT job_id, version FROM report_versions "
            "  WHERE status = 'generating' AND (claimed_at IS NULL OR claimed_at < %s - "
            "  make_interval(secs => %s)) ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING *", (now, now, CLAIM_TIMEOUT_S))).fetchone()

    async def finish(self, job_id: uuid.UUID, version: int, fields: dict[str, Any]) -> bool:
        """Record the outcome once: False if the version was already finished."""
        sets = ", ".join(f"{k} = %({k})s" for k in fields)
        cur = await self.conn.execute(
            f"UPDATE report_versions SET {sets} WHERE job_id = %(job_id)s "
            f"AND version = %(version)s AND status = 'generating'",
            {**fields, "job_id": job_id, "version": version})
        return cur.rowcount == 1
