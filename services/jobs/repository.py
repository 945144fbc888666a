"""SQL for the jobs table: jobs, their status history, recovery queries and the history
of finished jobs. Training files: training_file_repository.py; templates:
template_repository.py; API keys: api_key_repository.py."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from services.jobs.domain import Job

JOB_COLUMNS = (
    "j.id, j.name, j.description, j.notes, j.tags, j.training_file_id, f.name AS training_file_name, "
    "j.preset, j.model, j.lora, j.hyperparameters, j.gpu_type, j.pricing, j.status, "
    "j.status_message, j.attempt, j.created_at, j.started_at, j.finished_at, j.adapter_key, "
    "j.error, j.estimate, j.parent_job_id, j.interruptions, j.lineage, j.gpu_wait, j.gpu_count, "
    "j.validation, f.training_set_id, j.validation_rerun"
)
JOB_STATE = ("id, name, status, status_message, attempt, started_at, finished_at, adapter_key, "
             "error, last_step, failed_recoveries, interruptions, status_since, gpu_type, pricing, "
             "gpu_wait, validation_rerun")


def jsonb(value: Any) -> Jsonb:
    return Jsonb(msgspec.to_builtins(value))


def jsonb_or_null(value: Any) -> Jsonb | None:
    """SQL NULL, not JSON null, for state a job has not got (the queries test IS NULL)."""
    return None if value is None else jsonb(value)


class Jobs:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> None:
        json_fields = ("model", "lora", "hyperparameters", "estimate", "fault_injection",
                       "lineage", "validation")
        row = {"fault_injection": None, "lineage": None, "validation": None,
               "reservation_id": None, **row}
        await self.conn.execute(
            "INSERT INTO jobs (id, name, description, notes, tags, training_file_id, preset, model, "
            "lora, hyperparameters, gpu_type, pricing, status, estimate, parent_job_id, "
            "fault_injection, lineage, gpu_count, validation, reservation_id) VALUES "
            "(%(id)s, %(name)s, %(description)s, %(notes)s, %(tags)s, %(training_file_id)s, "
            "%(preset)s, %(model)s, %(lora)s, %(hyperparameters)s, %(gpu_type)s, %(pricing)s, "
            "%(status)s, %(estimate)s, %(parent_job_id)s, %(fault_injection)s, %(lineage)s, "
            "%(gpu_count)s, %(validation)s, %(reservation_id)s)",
            {**row, **{k: jsonb(row[k]) if row[k] is not None else None for k in json_fields}},
        )
        await self._history(row["id"], row["status"], "Job created and queued.")

    async def names_like(self, name: str) -> set[str]:
        cur = await self.conn.execute(
            "SELECT name FROM jobs WHERE name = %s OR name LIKE %s", (name, f"{name} (%")
        )
        return {r["name"] for r in await cur.fetchall()}

    async def view(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs j JOIN training_files f ON f.id = j.training_file_id "
            "WHERE j.id = %s", (job_id,),
        )
        return await cur.fetchone()

    async def list(self, status: str | None, limit: int, after: uuid.UUID | None = None
                   ) -> list[dict[str, Any]]:
        """Newest first; with `after`, the jobs created before that one (a page's cursor)."""
        cursor = ("" if after is None else
                  " AND (j.created_at, j.id) < (SELECT created_at, id FROM jobs WHERE id = %(after)s)")
        cur = await self.conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs j JOIN training_files f ON f.id = j.training_file_id "
            f"WHERE (%(status)s::text IS NULL OR j.status = %(status)s){cursor} "
            "ORDER BY j.created_at DESC, j.id DESC LIMIT %(limit)s",
            {"status": status, "limit": limit, "after": after},
        )
        return await cur.fetchall()

    async def get_for_update(self, job_id: uuid.UUID) -> Job | None:
        cur = await self.conn.execute(
            f"SELECT {JOB_STATE} FROM jobs WHERE id = %s FOR UPDATE", (job_id,))
        row = await cur.fetchone()
        # The JSON columns become their Structs, ISO strings real datetimes (proto/job_state.py).
        return msgspec.convert(row, Job) if row else None

    async def save(self, job: Job) -> None:
        # A new attempt has not been heard from yet: its heartbeat clock starts at its first event.
        await self.conn.execute(
            "UPDATE jobs SET status = %(status)s, status_message = %(status_message)s, "
            "last_seen_at = CASE WHEN attempt = %(attempt)s THEN last_seen_at END, "
            "attempt = %(attempt)s, started_at = %(started_at)s, finished_at = %(finished_at)s, "
            "adapter_key = %(adapter_key)s, error = %(error)s, last_step = %(last_step)s, "
            "failed_recoveries = %(failed_recoveries)s, interruptions = %(interruptions)s, "
            "status_since = COALESCE(%(status_since)s, status_since), pricing = %(pricing)s, "
            "gpu_wait = %(gpu_wait)s, validation_rerun = %(validation_rerun)s WHERE id = %(id)s",
            {"status": job.status, "status_message": job.status_message, "attempt": job.attempt,
             "started_at": job.started_at, "finished_at": job.finished_at,
             "adapter_key": job.adapter_key, "last_step": job.last_step,
             "error": jsonb_or_null(job.error),
             "failed_recoveries": job.failed_recoveries, "interruptions": jsonb(job.interruptions),
             "status_since": job.status_since, "pricing": job.pricing,
             "gpu_wait": jsonb_or_null(job.gpu_wait), "id": job.id,
             "validation_rerun": jsonb_or_null(job.validation_rerun)},
        )
        for _previous, status, message in job.changes:
            await self._history(job.id, status, message)

    async def _history(self, job_id: uuid.UUID, status: str, message: str) -> None:
        await self.conn.execute(
            "INSERT INTO job_status_history (job_id, status, message) VALUES (%s, %s, %s)",
            (job_id, status, message),
        )

    # --- recovery: what a new attempt needs, heartbeats, the watchdog's queries --------------

    async def run_config(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        """Everything a JobQueued carries, for a job's next attempt or a linked new job."""
        cur = await self.conn.execute(
            "SELECT j.id, j.name, j.notes, j.description, j.tags, j.training_file_id, j.preset, "
            "j.model, j.lora, j.hyperparameters, j.gpu_type, j.pricing, j.fault_injection, "
            "j.gpu_count, j.validation, "
            "j.status, j.error, j.estimate, j.created_at, j.parent_job_id, j.reservation_id, "
            "f.storage_key AS training_file_key, f.eligibility "
            "FROM jobs j JOIN training_files f ON f.id = j.training_file_id WHERE j.id = %s",
            (job_id,))
        return await cur.fetchone()

    async def seen(self, job_id: uuid.UUID, attempt: int, step: int | None) -> None:
        """The current attempt's trainer spoke (any event, heartbeats included)."""
        await self.conn.execute(
            "UPDATE jobs SET last_seen_at = now(), last_step = GREATEST(last_step, "
            "COALESCE(%s, last_step)) WHERE id = %s AND attempt = %s "
            "AND status NOT IN ('completed', 'failed', 'cancelled')", (step, job_id, attempt))

    async def silent_since(self, timeout_s: float) -> list[uuid.UUID]:
        cur = await self.conn.execute(
            "SELECT id FROM jobs WHERE status NOT IN ('completed', 'failed', 'cancelled') "
            "AND last_seen_at < now() - make_interval(secs => %s)", (timeout_s,))
        return [r["id"] for r in await cur.fetchall()]

    async def last_seen(self, job_id: uuid.UUID) -> Any:
        cur = await self.conn.execute("SELECT last_seen_at FROM jobs WHERE id = %s", (job_id,))
        row = await cur.fetchone()
        return row["last_seen_at"] if row else None

    async def gpu_retries_due(self) -> list[uuid.UUID]:
        """UJ2.1.2: jobs whose next automatic try for a GPU is due."""
        cur = await self.conn.execute(
            "SELECT id FROM jobs WHERE status = 'waiting_for_gpu' "
            "AND gpu_wait->>'choice' = 'auto_retry' "
            "AND (gpu_wait->>'next_retry_at')::timestamptz <= now()")
        return [r["id"] for r in await cur.fetchall()]

    async def in_stages(self) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT id, attempt, status, status_since, stage_warned, estimate, now() AS now "
            "FROM jobs WHERE status NOT IN ('queued', 'completed', 'failed', 'cancelled')")
        return await cur.fetchall()

    async def mark_stage_warned(self, job_id: uuid.UUID, key: str) -> bool:
        cur = await self.conn.execute(
            "UPDATE jobs SET stage_warned = %s WHERE id = %s AND stage_warned <> %s",
            (key, job_id, key))
        return cur.rowcount == 1


class JobHistory:
    """This installation's finished jobs and GPU waits, for services/jobs/history.py."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def finished(self, limit: int = 2000) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT preset, gpu_type, pricing, status, jsonb_array_length(interruptions) "
            "AS interruptions, started_at IS NOT NULL AS started FROM jobs "
            "WHERE status IN ('completed', 'failed', 'cancelled') "
            "ORDER BY finished_at DESC NULLS LAST LIMIT %s", (limit,))
        return await cur.fetchall()

    async def gpu_waits(self, gpu_type: str | None = None, limit: int = 2000
                        ) -> list[dict[str, Any]]:
        """Each job that found no GPU, with the first time it reached provisioning after."""
        cur = await self.conn.execute(
            "SELECT j.gpu_type, j.pricing, j.gpu_wait AS wait, (SELECT min(h.at) FROM "
            "job_status_history h WHERE h.job_id = j.id AND h.status = 'provisioning' "
            "AND h.at >= (j.gpu_wait->>'since')::timestamptz) AS gpu_at FROM jobs j "
            "WHERE j.gpu_wait IS NOT NULL AND (%(gpu)s::text IS NULL OR j.gpu_type = %(gpu)s) "
            "ORDER BY j.created_at DESC LIMIT %(limit)s", {"gpu": gpu_type, "limit": limit})
        return await cur.fetchall()
