"""SQL for the provisioning schema: one row per (job, attempt) instance."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection


class Instances:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def claim(self, job_id: uuid.UUID, attempt: int, provider: str) -> bool:
        """Insert the instance row; False if this (job, attempt) already has one (no second pod)."""
        cur = await self.conn.execute(
            "INSERT INTO instances (job_id, attempt, instance_id, provider, status) "
            "VALUES (%s, %s, %s, %s, 'starting') ON CONFLICT DO NOTHING",
            (job_id, attempt, f"{provider}-{job_id}-{attempt}", provider),
        )
        return cur.rowcount == 1

    async def claim_or_resume(self, job_id: uuid.UUID, attempt: int, provider: str) -> bool:
        """Whether this delivery should (go on) start(ing) the attempt's instance: it claims the
        row, or finds it still 'starting' after a crash between claim and start."""
        if await self.claim(job_id, attempt, provider):
            return True
        row = await self.get(job_id, attempt)
        return row is not None and row["status"] == "starting"

    async def get(self, job_id: uuid.UUID, attempt: int | None = None) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            "SELECT * FROM instances WHERE job_id = %s AND (%s::int IS NULL OR attempt = %s) "
            "ORDER BY attempt DESC LIMIT 1 FOR UPDATE", (job_id, attempt, attempt),
        )
        return await cur.fetchone()

    async def live(self) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT * FROM instances WHERE status IN ('starting', 'running', 'terminating')"
        )
        return await cur.fetchall()

    async def mark_running(self, job_id: uuid.UUID, attempt: int, pid: int, spec_path: str) -> None:
        await self.conn.execute(
            "UPDATE instances SET status = 'running', pid = %s, spec_path = %s "
            "WHERE job_id = %s AND attempt = %s", (pid, spec_path, job_id, attempt),
        )

    async def mark_terminating(self, job_id: uuid.UUID, attempt: int, reason: str) -> None:
        await self.conn.execute(
            "UPDATE instances SET status = 'terminating', reason = %s "
            "WHERE job_id = %s AND attempt = %s AND status <> 'exited'", (reason, job_id, attempt),
        )

    async def mark_exited(self, job_id: uuid.UUID, attempt: int, exit_code: int | None,
                          reason: str) -> bool:
        cur = await self.conn.execute(
            "UPDATE instances SET status = 'exited', exit_code = %s, exited_at = now(), "
            "reason = CASE WHEN reason = '' THEN %s ELSE reason END "
            "WHERE job_id = %s AND attempt = %s AND status <> 'exited'",
            (exit_code, reason, job_id, attempt),
        )
        return cur.rowcount == 1

    # --- RunPod pods (migration 002) ------------------------------------------------------------

    async def mark_pod(self, job_id: uuid.UUID, attempt: int, pod_id: str) -> None:
        await self.conn.execute(
            "UPDATE instances SET status = 'running', pod_id = %s WHERE job_id = %s AND attempt = %s",
            (pod_id, job_id, attempt),
        )

    async def trainer_finished(self, job_id: uuid.UUID, attempt: int, outcome: str,
                               stop_reason: str | None) -> None:
        """Record what the trainer reported; with a stop reason, the pod is to be terminated."""
        await self.conn.execute(
            "UPDATE instances SET trainer_outcome = %s, "
            "status = CASE WHEN %s::text IS NULL THEN status ELSE 'terminating' END, "
            "reason = COALESCE(%s, reason) "
            "WHERE job_id = %s AND attempt = %s AND status IN ('starting', 'running')",
            (outcome, stop_reason, stop_reason, job_id, attempt),
        )

    async def retire_earlier(self, job_id: uuid.UUID, attempt: int, reason: str) -> None:
        """One pod per job: earlier attempts' pods are to be terminated (UJ4.1.1)."""
        await self.conn.execute(
            "UPDATE instances SET status = 'terminating', reason = %s WHERE job_id = %s "
            "AND attempt < %s AND pod_id IS NOT NULL AND status IN ('starting', 'running')",
            (reason, job_id, attempt),
        )

    async def mark_booted(self, job_id: uuid.UUID, attempt: int) -> None:
        await self.conn.execute(
            "UPDATE instances SET booted_at = now() WHERE job_id = %s AND attempt = %s "
            "AND booted_at IS NULL", (job_id, attempt))

    async def owners(self, keys: list[tuple[uuid.UUID, int]]) -> dict[tuple[uuid.UUID, int],
                                                                      dict[str, Any]]:
        """The instance rows of these (job, attempt)s, for the orphan reconciler."""
        if not keys:
            return {}
        cur = await self.conn.execute(
            "SELECT * FROM instances WHERE (job_id, attempt) IN "
            "(SELECT * FROM unnest(%s::uuid[], %s::int[]))",
            ([k[0] for k in keys], [k[1] for k in keys]))
        return {(r["job_id"], r["attempt"]): r for r in await cur.fetchall()}

    async def orphan_terminated(self, pod_id: str, job_id: uuid.UUID, attempt: int) -> bool:
        """Record a terminated orphan; False if it was recorded before (report it once)."""
        cur = await self.conn.execute(
            "INSERT INTO orphan_pods (pod_id, job_id, attempt, terminated_at) "
            "VALUES (%s, %s, %s, now()) ON CONFLICT DO NOTHING", (pod_id, job_id, attempt))
        return cur.rowcount == 1
