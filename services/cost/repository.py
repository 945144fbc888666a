"""SQL for the cost schema: jobs as cost sees them, attempts, the ledger, alerts, budget, refit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from services.cost.live import Attempt, JobCost
from services.cost.timemodel import Correction, Observation

ATTEMPT_FIELDS = ("instance_id", "started_at", "started_event_id", "exited_at", "exited_event_id",
                  "training_started_at", "last_progress_at", "interrupted", "interrupted_event_id",
                  "failed_to_start_event_id", "gpu_type", "pricing", "rate_cents_per_hour",
                  "queued_event_id", "validation_started_at", "validation_only")


# An open attempt's hourly rate in SQL, as `priced` has it: its own, else the latest earlier
# attempt's, else the job's.
RATE_SQL = ("COALESCE(a.rate_cents_per_hour, (SELECT p.rate_cents_per_hour FROM attempts p "
            "WHERE p.job_id = a.job_id AND p.attempt < a.attempt AND p.rate_cents_per_hour IS "
            "NOT NULL ORDER BY p.attempt DESC LIMIT 1), j.rate_cents_per_hour)")


def priced(rows: list[dict[str, Any]], job: dict[str, Any]) -> list[dict[str, Any]]:
    """Each attempt with the GPU type, pricing and rate it is billed at: those of its own
    JobQueued (`priced` true). One whose JobQueued is not in yet goes on at the price of the
    attempt before it (the job's for the first) while it runs, and is not settled meanwhile;
    a job queued before prices were kept per attempt has the job's price throughout."""
    price = {k: job[k] for k in ("gpu_type", "pricing", "rate_cents_per_hour")}
    out = []
    for row in rows:
        known = row["rate_cents_per_hour"] is not None or not job["priced_per_attempt"]
        if row["rate_cents_per_hour"] is not None:
            price = {k: row[k] for k in price}
        out.append({**row, **price, "priced": known})
    return out


class Costs:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        return await (await self.conn.execute(sql, params)).fetchone()

    async def _all(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return await (await self.conn.execute(sql, params)).fetchall()

    # --- jobs and attempts ---------------------------------------------------------------------

    async def add_job(self, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        values = ", ".join(f"%({k})s" for k in row)
        await self.conn.execute(
            f"INSERT INTO jobs ({columns}) VALUES ({values}) ON CONFLICT (job_id) DO NOTHING",
            {**row, "estimate": Jsonb(row.get("estimate"))})

    async def job(self, job_id: uuid.UUID, lock: bool = False) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM jobs WHERE job_id = %s" + (" FOR UPDATE" if lock else ""),
                               (job_id,))

    async def update_job(self, job_id: uuid.UUID, **fields: Any) -> None:
        sets = ", ".join(f"{k} = %({k})s" for k in fields)
        fields = {k: Jsonb(v) if k == "final" else v for k, v in fields.items()}
        await self.conn.execute(f"UPDATE jobs SET {sets} WHERE job_id = %(job_id)s",
                                {**fields, "job_id": job_id})

    async def set_attempt(self, job_id: uuid.UUID, attempt: int, **fields: Any) -> None:
        """Set fields of an attempt, creating it; a field already set keeps its first value,
        so a redelivered or late duplicate cannot move a timestamp."""
        assert set(fields) <= set(ATTEMPT_FIELDS)
        columns = ", ".join(fields)
        values = ", ".join(f"%({k})s" for k in fields)
        keep = ", ".join(f"{k} = COALESCE(attempts.{k}, EXCLUDED.{k})" if k != "interrupted"
                         else "interrupted = attempts.interrupted OR EXCLUDED.interrupted"
                         for k in fields)
        await self.conn.execute(
            f"INSERT INTO attempts (job_id, attempt, {columns}) VALUES (%(job_id)s, %(attempt)s, "
            f"{values}) ON CONFLICT (job_id, attempt) DO UPDATE SET {keep}",
            {**fields, "job_id": job_id, "attempt": attempt})

    async def progressed(self, job_id: uuid.UUID, attempt: int, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO attempts (job_id, attempt, last_progress_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (job_id, attempt) DO UPDATE SET last_progress_at = "
            "GREATEST(attempts.last_progress_at, EXCLUDED.last_progress_at)", (job_id, attempt, at))

    async def attempts(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """The job's attempts, each with the price it is billed at (see `priced`)."""
        rows = await self._all("SELECT * FROM attempts WHERE job_id = %s ORDER BY attempt",
                               (job["job_id"],))
        return priced(rows, job)

    async def set_status(self, job_id: uuid.UUID, status: str, at: datetime, terminal: bool,
                         attempt: int) -> None:
        """Keep the newest status; a terminal one is final (a late event cannot revive it)."""
        await self.conn.execute(
            "INSERT INTO statuses (job_id, status, changed_at, finished_at, attempt) VALUES "
            "(%(j)s, %(s)s, %(at)s, CASE WHEN %(t)s THEN %(at)s::timestamptz END, %(a)s) "
            "ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, changed_at = "
            "EXCLUDED.changed_at, finished_at = EXCLUDED.finished_at, attempt = EXCLUDED.attempt "
            "WHERE statuses.finished_at IS NULL AND statuses.changed_at <= EXCLUDED.changed_at",
            {"j": job_id, "s": status, "at": at, "t": terminal, "a": attempt})

    async def status(self, job_id: uuid.UUID) -> dict[str, Any]:
        return await self._one("SELECT * FROM statuses WHERE job_id = %s", (job_id,)) or {
            "status": "queued", "finished_at": None, "attempt": 1}

    async def set_progress(self, job_id: uuid.UUID, step: int, total_steps: int) -> None:
        await self.conn.execute(
            "INSERT INTO training (job_id, step, total_steps) VALUES (%s, %s, %s) ON CONFLICT "
            "(job_id) DO UPDATE SET step = GREATEST(training.step, EXCLUDED.step), "
            "total_steps = EXCLUDED.total_steps", (job_id, step, total_steps))

    async def set_completed(self, job_id: uuid.UUID, event_id: uuid.UUID, runtime_s: float,
                            tokens: int) -> None:
        await self.conn.execute(
            "INSERT INTO training (job_id, train_runtime_s, tokens_trained, completed_event_id) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (job_id) DO UPDATE SET train_runtime_s = "
            "EXCLUDED.train_runtime_s, tokens_trained = EXCLUDED.tokens_trained, "
            "completed_event_id = EXCLUDED.completed_event_id", (job_id, runtime_s, tokens, event_id))

    async def training(self, job_id: uuid.UUID) -> dict[str, Any]:
        return await self._one("SELECT * FROM training WHERE job_id = %s", (job_id,)) or {
            "step": 0, "total_steps": 0, "completed_event_id": None}

    async def job_cost(self, job: dict[str, Any]) -> JobCost:
        rows = await self.attempts(job)
        training = await self.training(job["job_id"])
        return JobCost(
            rate_cents_per_hour=job["rate_cents_per_hour"], estimate_cents=job["estimate_cents"],
            attempts=[Attempt(r["attempt"], r["started_at"], r["exited_at"],
                              r["training_started_at"], r["last_progress_at"], r["interrupted"],
                              r["rate_cents_per_hour"], r["gpu_type"], r["pricing"],
                              validation_started_at=r["validation_started_at"],
                              validation_only=bool(r["validation_only"]))
                      for r in rows],
            step=training["step"], total_steps=training["total_steps"])

    async def running_job_ids(self) -> list[uuid.UUID]:
        rows = await self._all("SELECT DISTINCT a.job_id FROM attempts a JOIN jobs j USING (job_id) "
                               "WHERE a.started_at IS NOT NULL AND a.exited_at IS NULL")
        return [r["job_id"] for r in rows]

    async def open_units(self, now: datetime, job_ids: list[uuid.UUID] | None = None) -> int:
        """What running instances have cost so far (billed to the month they end in): every
        one, or those of `job_ids`."""
        row = await self._one(
            f"SELECT COALESCE(sum(({RATE_SQL})::bigint * GREATEST(0, floor(extract(epoch "
            "FROM (%(now)s - a.started_at)) * 1000)::bigint)), 0)::bigint AS u FROM attempts a "
            "JOIN jobs j USING (job_id) WHERE a.started_at IS NOT NULL AND a.exited_at IS NULL "
            "AND (%(ids)s::uuid[] IS NULL OR a.job_id = ANY(%(ids)s::uuid[]))",
            {"now": now, "ids": job_ids})
        return int(row["u"])

    async def lineage(self, job_id: uuid.UUID) -> list[uuid.UUID]:
        """The job and every job it retries or resumes, back to the first."""
        rows = await self._all(
            "WITH RECURSIVE chain(job_id) AS (SELECT %s::uuid UNION SELECT j.parent_job_id "
            "FROM jobs j JOIN chain c USING (job_id) WHERE j.parent_job_id IS NOT NULL) "
            "SELECT job_id FROM chain", (job_id,))
        return [r["job_id"] for r in rows]

    # --- the ledger ----------------------------------------------------------------------------

    async def add_entry(self, row: dict[str, Any]) -> bool:
        cur = await self.conn.execute(
            "INSERT INTO cost_entries (job_id, attempt, kind, billable_ms, rate_cents_per_hour, "
            "units, gpu_type, pricing, started_at, ended_at, billed_month, start_event_id, "
            "end_event_id) VALUES (%(job_id)s, %(attempt)s, %(kind)s, %(billable_ms)s, "
            "%(rate_cents_per_hour)s, %(units)s, %(gpu_type)s, %(pricing)s, %(started_at)s, "
            "%(ended_at)s, %(billed_month)s, %(start_event_id)s, %(end_event_id)s) "
            "ON CONFLICT (job_id, attempt, kind) DO NOTHING", row)
        return cur.rowcount == 1

    async def entries(self, job_id: uuid.UUID | None = None, month: str | None = None
                      ) -> list[dict[str, Any]]:
        return await self._all(
            # an entry written before entries kept their own GPU and pricing had the job's
            "SELECT e.*, j.name, j.tags, COALESCE(e.gpu_type, j.gpu_type) AS gpu_type, "
            "COALESCE(e.pricing, j.pricing) AS pricing FROM cost_entries e "
            "JOIN jobs j USING (job_id) WHERE (%(job)s::uuid IS NULL OR e.job_id = %(job)s) "
            "AND (%(month)s::text IS NULL OR e.billed_month = %(month)s) ORDER BY e.id",
            {"job": job_id, "month": month})

    async def ledger_units(self, job_ids: list[uuid.UUID]) -> int:
        row = await self._one("SELECT COALESCE(sum(units), 0)::bigint AS u FROM cost_entries "
                              "WHERE job_id = ANY(%s::uuid[])", (job_ids,))
        return int(row["u"])

    async def month_units(self, month: str) -> int:
        row = await self._one("SELECT COALESCE(sum(units), 0)::bigint AS u FROM cost_entries "
                              "WHERE billed_month = %s", (month,))
        return int(row["u"])

    async def month_jobs(self, month: str) -> dict[str, int]:
        row = await self._one(
            "SELECT count(*) FILTER (WHERE to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM') = %(m)s) "
            "AS created, count(*) FILTER (WHERE s.status = 'completed' AND "
            "to_char(s.finished_at AT TIME ZONE 'UTC', 'YYYY-MM') = %(m)s) AS completed "
            "FROM jobs j LEFT JOIN statuses s USING (job_id)",
            {"m": month})
        return {"jobs_this_month": row["created"], "jobs_completed_this_month": row["completed"]}

    # --- alerts, caps and the budget -----------------------------------------------------------

    async def claim(self, table: str, key: dict[str, Any], event_id: uuid.UUID, amount: int) -> bool:
        """Record an alert or cap once; False when it was already raised (nothing to emit)."""
        column = {"job_alerts": "spend_cents", "budget_alerts": "spent_cents",
                  "caps_reached": "spend_cents"}[table]
        names = [*key, "event_id", column]
        cur = await self.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
            "ON CONFLICT DO NOTHING", (*key.values(), event_id, amount))
        return cur.rowcount == 1

    async def alerts(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        return await self._all("SELECT threshold_pct, spend_cents, raised_at, event_id FROM "
                               "job_alerts WHERE job_id = %s ORDER BY threshold_pct", (job_id,))

    async def budget(self) -> dict[str, Any]:
        row = await self._one("SELECT monthly_limit_cents, job_cap_cents, monthly_cap_cents, "
                              "updated_at FROM budget")
        return row or {"monthly_limit_cents": None, "job_cap_cents": None,
                       "monthly_cap_cents": None, "updated_at": None}

    async def set_budget(self, fields: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO budget (id, monthly_limit_cents, job_cap_cents, monthly_cap_cents) VALUES "
            "(true, %(monthly_limit_cents)s, %(job_cap_cents)s, %(monthly_cap_cents)s) "
            "ON CONFLICT (id) DO UPDATE SET monthly_limit_cents = EXCLUDED.monthly_limit_cents, "
            "job_cap_cents = EXCLUDED.job_cap_cents, monthly_cap_cents = EXCLUDED.monthly_cap_cents, "
            "updated_at = now()", fields)

    async def budget_alerts(self, month: str) -> list[dict[str, Any]]:
        return await self._all("SELECT threshold_pct, spent_cents, raised_at FROM budget_alerts "
                               "WHERE month = %s ORDER BY threshold_pct", (month,))

    # --- the time model ------------------------------------------------------------------------

    async def observe(self, job_id: uuid.UUID, event_id: uuid.UUID, o: Observation) -> None:
        await self.conn.execute(
            "INSERT INTO time_observations (job_id, completed_event_id, gpu_type, size_class, "
            "seed_s, duration_s) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (job_id, event_id, o.gpu_type, o.size_class, o.seed_s, o.duration_s))

    async def observations(self, gpu_type: str, size: int) -> list[Observation]:
        rows = await self._all("SELECT * FROM time_observations WHERE gpu_type = %s AND "
                               "size_class = %s", (gpu_type, size))
        return [Observation(r["gpu_type"], r["size_class"], r["seed_s"], r["duration_s"])
                for r in rows]

    async def save_correction(self, gpu_type: str, size: int, c: Correction) -> None:
        await self.conn.execute(
            "INSERT INTO time_model (gpu_type, size_class, slope, intercept_s, jobs, "
            "backtest_jobs, backtest_within) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (gpu_type, size_class) DO UPDATE SET slope = EXCLUDED.slope, "
            "intercept_s = EXCLUDED.intercept_s, jobs = EXCLUDED.jobs, backtest_jobs = "
            "EXCLUDED.backtest_jobs, backtest_within = EXCLUDED.backtest_within, fitted_at = now()",
            (gpu_type, size, c.slope, c.intercept_s, c.jobs, c.backtest_jobs, c.backtest_within))

    async def time_model_fitted_at(self) -> datetime | None:
        """When the newest fit was saved: a replica that loaded an older one reloads."""
        row = await self._one("SELECT max(fitted_at) AS newest FROM time_model")
        return row["newest"] if row else None

    async def corrections(self) -> dict[tuple[str, int], Correction]:
        rows = await self._all("SELECT * FROM time_model")
        return {(r["gpu_type"], r["size_class"]): Correction(
            r["slope"], r["intercept_s"], r["jobs"], r["backtest_jobs"], r["backtest_within"])
            for r in rows}

    # --- budget reservations (budget_rule.py) ----------------------------------------------------

    async def lock_budget(self) -> dict[str, Any]:
        """The budget row, locked until the transaction ends: reservations queue up behind it,
        so each one sees every reservation committed before it."""
        await self.conn.execute("INSERT INTO budget (id) VALUES (true) ON CONFLICT DO NOTHING")
        return await self._one("SELECT monthly_limit_cents, job_cap_cents, monthly_cap_cents, "
                               "updated_at FROM budget FOR UPDATE")

    async def reservation(self, reservation_id: uuid.UUID) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM reservations WHERE reservation_id = %s",
                               (reservation_id,))

    async def add_reservation(self, row: dict[str, Any]) -> dict[str, Any]:
        return await self._one(
            "INSERT INTO reservations (reservation_id, job_name, estimate_cents, parent_job_id) "
            "VALUES (%(reservation_id)s, %(job_name)s, %(estimate_cents)s, %(parent_job_id)s) "
            "RETURNING *", row)

    async def held_reservations(self) -> list[dict[str, Any]]:
        """Open reservations, each with whether its job has finished and what it has been
        billed so far in the ledger (running instances: `open_units`)."""
        return await self._all(
            "SELECT r.reservation_id, r.estimate_cents, r.job_id, r.created_at, "
            "s.finished_at IS NOT NULL AS finished, (SELECT COALESCE(sum(e.units), 0)::bigint "
            "FROM cost_entries e WHERE e.job_id = r.job_id) AS ledger_units "
            "FROM reservations r LEFT JOIN statuses s USING (job_id) WHERE r.released_at IS NULL")

    async def bind_reservation(self, reservation_id: uuid.UUID, job_id: uuid.UUID) -> None:
        """The job exists: its reservation holds on until the job is settled (even one released
        meanwhile because its creation looked failed or took too long to confirm)."""
        await self.conn.execute(
            "UPDATE reservations SET job_id = %(j)s, bound_at = COALESCE(bound_at, now()), "
            "released_at = NULL, release_reason = NULL WHERE reservation_id = %(r)s "
            "AND (job_id IS NULL OR job_id = %(j)s) AND release_reason IS DISTINCT FROM "
            "'settled'", {"r": reservation_id, "j": job_id})

    async def release_reservation(self, reservation_id: uuid.UUID, reason: str) -> None:
        """Release one no job has bound (a bound one is released when its job settles)."""
        await self.conn.execute(
            "UPDATE reservations SET released_at = now(), release_reason = %s WHERE "
            "reservation_id = %s AND job_id IS NULL AND released_at IS NULL",
            (reason, reservation_id))

    async def settle_reservation(self, job_id: uuid.UUID) -> None:
        await self.conn.execute(
            "UPDATE reservations SET released_at = now(), release_reason = 'settled' WHERE "
            "job_id = %s AND released_at IS NULL", (job_id,))
