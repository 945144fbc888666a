"""SQL for the packaging schema: build requests and the artifacts of each job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from proto.packaging import ArtifactRef

CLAIM_S = 600  # a build not finished by then is taken as crashed and claimed again


class Packaging:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def request_build(self, job_id: uuid.UUID, only_if_known: bool = False) -> bool:
        """Ask for (another) build; `only_if_known`: only for a job built or asked before."""
        if only_if_known:
            cur = await self.conn.execute(
                "UPDATE builds SET requested = requested + 1, requested_at = now(), attempts = 0 "
                "WHERE job_id = %s", (job_id,))
        else:
            cur = await self.conn.execute(
                "INSERT INTO builds (job_id) VALUES (%s) ON CONFLICT (job_id) DO UPDATE SET "
                "requested = builds.requested + 1, requested_at = now(), attempts = 0", (job_id,))
        return cur.rowcount == 1

    async def claim(self) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            "UPDATE builds SET claimed_until = now() + make_interval(secs => %s), "
            "attempts = attempts + 1 WHERE job_id = (SELECT job_id FROM builds "
            "WHERE requested > built AND (claimed_until IS NULL OR claimed_until < now()) "
            "ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING job_id, requested AS version, attempts", (CLAIM_S,))
        return await cur.fetchone()

    async def built(self, job_id: uuid.UUID, version: int) -> None:
        await self.conn.execute(
            "UPDATE builds SET built = GREATEST(built, %s), claimed_until = NULL, attempts = 0, "
            "last_error = NULL WHERE job_id = %s", (version, job_id))

    async def retry_later(self, job_id: uuid.UUID, delay_s: float, error: str) -> None:
        await self.conn.execute(
            "UPDATE builds SET claimed_until = now() + make_interval(secs => %s), last_error = %s "
            "WHERE job_id = %s", (delay_s, error, job_id))

    async def store_artifact(self, job_id: uuid.UUID, version: int, ref: ArtifactRef,
                             at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO artifacts (job_id, kind, status, version, key, filename, size_bytes, "
            "sha256, message, built_at) VALUES (%s, %s, 'ready', %s, %s, %s, %s, %s, '', %s) "
            "ON CONFLICT (job_id, kind) DO UPDATE SET status = 'ready', version = EXCLUDED.version, "
            "key = EXCLUDED.key, filename = EXCLUDED.filename, size_bytes = EXCLUDED.size_bytes, "
            "sha256 = EXCLUDED.sha256, message = '', built_at = EXCLUDED.built_at "
            "WHERE artifacts.version <= EXCLUDED.version",
            (job_id, ref.kind, version, ref.key, ref.filename, ref.size_bytes, ref.sha256, at))

    async def artifact_failed(self, job_id: uuid.UUID, kind: str, version: int,
                              message: str) -> None:
        """A failed rebuild keeps the last good artifact downloadable; only its message says."""
        await self.conn.execute(
            "INSERT INTO artifacts (job_id, kind, status, version, message) "
            "VALUES (%s, %s, 'failed', %s, %s) ON CONFLICT (job_id, kind) DO UPDATE SET "
            "status = CASE WHEN artifacts.key IS NULL THEN 'failed' ELSE artifacts.status END, "
            "message = EXCLUDED.message", (job_id, kind, version, message))

    async def artifacts(self, job_id: uuid.UUID) -> tuple[dict[str, Any] | None,
                                                          list[dict[str, Any]]]:
        build = await (await self.conn.execute(
            "SELECT * FROM builds WHERE job_id = %s", (job_id,))).fetchone()
        rows = await (await self.conn.execute(
            "SELECT * FROM artifacts WHERE job_id = %s ORDER BY kind", (job_id,))).fetchall()
        return build, rows

    async def count_download(self, job_id: uuid.UUID, kind: str) -> None:
        await self.conn.execute(
            "UPDATE artifacts SET downloads = downloads + 1 WHERE job_id = %s AND kind = %s",
            (job_id, kind))
