"""SQL for the validation schema: runs, suite results, scored scenarios, review items, rubrics."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Row = dict[str, Any]
TERMINAL = ("completed", "failed", "partial")
JSON_COLUMNS = {"rubric", "figures", "score", "characteristics", "avoid"}


def _params(fields: Row) -> Row:
    return {k: Jsonb(v) if k in JSON_COLUMNS and v is not None else v for k, v in fields.items()}


class Validation:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Any = ()) -> Row | None:
        return await (await self.conn.execute(sql, params)).fetchone()

    async def _all(self, sql: str, params: Any = ()) -> list[Row]:
        return await (await self.conn.execute(sql, params)).fetchall()

    async def lock_job(self, job_id: uuid.UUID) -> None:
        """Serialise run numbering and run state changes of one job across transactions."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (str(job_id),))

    # --- runs --------------------------------------------------------------------------------

    async def run(self, job_id: uuid.UUID, run: int) -> Row | None:
        return await self._one("SELECT * FROM runs WHERE job_id = %s AND run = %s", (job_id, run))

    async def run_for_attempt(self, job_id: uuid.UUID, attempt: int) -> Row | None:
        return await self._one("SELECT * FROM runs WHERE job_id = %s AND attempt = %s",
                               (job_id, attempt))

    async def latest_run(self, job_id: uuid.UUID) -> Row | None:
        return await self._one("SELECT * FROM runs WHERE job_id = %s ORDER BY run DESC LIMIT 1",
                               (job_id,))

    async def requested_run(self, job_id: uuid.UUID) -> Row | None:
        """The newest re-run still waiting for the instance that will measure it."""
        return await self._one(
            "SELECT * FROM runs WHERE job_id = %s AND status = 'requested' AND attempt IS NULL "
            "ORDER BY run DESC LIMIT 1", (job_id,))

    async def create_run(self, job_id: uuid.UUID, fields: Row) -> int:
        row = await self._one(
            "INSERT INTO runs (job_id, run, attempt, status, scorer, judge_model, measuring_done) "
            "SELECT %(job_id)s, coalesce(max(run), 0) + 1, %(attempt)s, %(status)s, %(scorer)s, "
            "%(judge_model)s, %(measuring_done)s FROM runs WHERE job_id = %(job_id)s RETURNING run",
            {"job_id": job_id, **fields})
        return row["run"]

    async def update_run(self, job_id: uuid.UUID, run: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = %({k})s" for k in fields)
        await self.conn.execute(f"UPDATE runs SET {sets} WHERE job_id = %(j)s AND run = %(r)s",
                                {**_params(fields), "j": job_id, "r": run})

    async def add_usage(self, job_id: uuid.UUID, run: int, calls: int, prompt_tokens: int,
                        completion_tokens: int) -> None:
        await self.conn.execute(
            "UPDATE runs SET judge_calls = judge_calls + %s, prompt_tokens = prompt_tokens + %s, "
            "completion_tokens = completion_tokens + %s WHERE job_id = %s AND run = %s",
            (calls, prompt_tokens, completion_tokens, job_id, run))

    # --- suites ------------------------------------------------------------------------------

    async def put_suite(self, job_id: uuid.UUID, run: int, suite: str, **fields: Any) -> None:
        """Insert a suite's row, or overwrite the given fields of the one there."""
        columns = ["job_id", "run", "suite", *fields]
        updates = ", ".join(f"{k} = EXCLUDED.{k}" for k in fields) or "suite = EXCLUDED.suite"
        await self.conn.execute(
            f"INSERT INTO suites ({', '.join(columns)}) VALUES "
            f"({', '.join(f'%({c})s' for c in columns)}) ON CONFLICT (job_id, run, suite) "
            f"DO UPDATE SET {updates}, updated_at = now()",
            {**_params(fields), "job_id": job_id, "run": run, "suite": suite})

    async def count_outcome(self, job_id: uuid.UUID, run: int, suite: str, ok: bool) -> Row:
        return await self._one(
            "UPDATE suites SET scored = scored + %s, failed = failed + %s, updated_at = now() "
            "WHERE job_id = %s AND run = %s AND suite = %s RETURNING scored, failed, total",
            (int(ok), int(not ok), job_id, run, suite))

    async def suite(self, job_id: uuid.UUID, run: int, suite: str) -> Row | None:
        return await self._one("SELECT * FROM suites WHERE job_id = %s AND run = %s AND suite = %s",
                               (job_id, run, suite))

    async def suites_of_run(self, job_id: uuid.UUID, run: int) -> list[Row]:
        return await self._all("SELECT * FROM suites WHERE job_id = %s AND run = %s ORDER BY suite",
                               (job_id, run))

    async def latest_suites(self, job_id: uuid.UUID) -> list[Row]:
        """Each suite's newest result over all runs: a re-run of one suite leaves the others."""
        return await self._all(
            "SELECT DISTINCT ON (suite) * FROM suites WHERE job_id = %s ORDER BY suite, run DESC",
            (job_id,))

    async def latest_measured(self, job_id: uuid.UUID, suite: str) -> Row | None:
        return await self._one(
            "SELECT * FROM suites WHERE job_id = %s AND suite = %s AND detail_key IS NOT NULL "
            "ORDER BY run DESC LIMIT 1", (job_id, suite))

    async def suites_to_judge(self) -> list[Row]:
        return await self._all(
            "SELECT s.* FROM suites s JOIN runs r USING (job_id, run) "
            "WHERE s.status = 'scoring' AND r.scorer = 'judge' ORDER BY s.updated_at")

    async def usage(self, job_id: uuid.UUID) -> Row:
        """Judge calls and tokens over every run of a job (its validation's running cost)."""
        return await self._one(
            "SELECT coalesce(sum(judge_calls), 0)::bigint AS calls, coalesce(sum(prompt_tokens), 0)::bigint AS "
            "prompt_tokens, coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens FROM runs "
            "WHERE job_id = %s", (job_id,))

    # --- scores ------------------------------------------------------------------------------

    async def add_score(self, job_id: uuid.UUID, run: int, suite: str, scenario_id: str,
                        ok: bool, score: Any, error: str, source: str) -> bool:
        cur = await self.conn.execute(
            "INSERT INTO scores (job_id, run, suite, scenario_id, ok, score, error, source) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (job_id, run, suite, scenario_id, ok, Jsonb(score) if score is not None else None,
             error, source))
        return cur.rowcount == 1

    async def scores(self, job_id: uuid.UUID, run: int, suite: str) -> list[Row]:
        return await self._all(
            "SELECT * FROM scores WHERE job_id = %s AND run = %s AND suite = %s ORDER BY created_at",
            (job_id, run, suite))

    # --- review items ------------------------------------------------------------------------

    async def add_item(self, row: Row) -> None:
        await self.conn.execute(
            "INSERT INTO review_items (item_id, job_id, run, suite, scenario_id, position, "
            "a_is_trained) VALUES (%(item_id)s, %(job_id)s, %(run)s, %(suite)s, %(scenario_id)s, "
            "%(position)s, %(a_is_trained)s) ON CONFLICT DO NOTHING", row)

    async def item(self, item_id: uuid.UUID, lock: bool = False) -> Row | None:
        return await self._one("SELECT * FROM review_items WHERE item_id = %s"
                               + (" FOR UPDATE" if lock else ""), (item_id,))

    async def lease_next(self, job_id: uuid.UUID, reviewer: str, lease_s: float) -> Row | None:
        """The item this reviewer already holds, else the next one nobody holds; leased to them."""
        row = await self._one(
            "SELECT i.* FROM review_items i JOIN suites s USING (job_id, run, suite) "
            "WHERE i.job_id = %s AND i.scored_at IS NULL AND s.status = 'awaiting_review' AND "
            "i.leased_to = %s AND i.lease_until > now() ORDER BY i.run, i.suite, i.position LIMIT 1",
            (job_id, reviewer))
        row = row or await self._one(
            "SELECT i.* FROM review_items i JOIN suites s USING (job_id, run, suite) "
            "WHERE i.job_id = %s AND i.scored_at IS NULL AND s.status = 'awaiting_review' AND "
            "(i.lease_until IS NULL OR i.lease_until <= now() OR i.leased_to = %s) "
            "ORDER BY i.run, i.suite, i.position LIMIT 1 FOR UPDATE OF i SKIP LOCKED",
            (job_id, reviewer))
        if row is None:
            return None
        return await self._one(
            "UPDATE review_items SET leased_to = %s, lease_until = now() + make_interval(secs => %s)"
            " WHERE item_id = %s RETURNING *", (reviewer, lease_s, row["item_id"]))

    async def mark_scored(self, item_id: uuid.UUID, reviewer: str) -> None:
        await self.conn.execute(
            "UPDATE review_items SET scored_by = %s, scored_at = now(), leased_to = NULL, "
            "lease_until = NULL WHERE item_id = %s", (reviewer, item_id))

    async def review_counts(self, job_id: uuid.UUID) -> Row:
        return await self._one(
            "SELECT count(*) FILTER (WHERE scored_at IS NULL) AS open, count(*) AS total "
            "FROM review_items i JOIN suites s USING (job_id, run, suite) "
            "WHERE i.job_id = %s AND s.status = 'awaiting_review'", (job_id,))

    # --- rubrics and jobs --------------------------------------------------------------------

    async def add_rubric(self, row: Row) -> Row:
        return await self._one(
            "INSERT INTO rubrics (rubric_id, name, characteristics, avoid) VALUES "
            "(%(rubric_id)s, %(name)s, %(characteristics)s, %(avoid)s) RETURNING *", _params(row))

    async def rubrics(self) -> list[Row]:
        return await self._all("SELECT * FROM rubrics ORDER BY created_at DESC")

    async def rubric(self, rubric_id: uuid.UUID) -> Row | None:
        return await self._one("SELECT * FROM rubrics WHERE rubric_id = %s", (rubric_id,))

    async def job(self, job_id: uuid.UUID) -> Row | None:
        return await self._one("SELECT * FROM jobs WHERE job_id = %s", (job_id,))

    async def set_job(self, job_id: uuid.UUID, **fields: Any) -> None:
        columns = ["job_id", *fields]
        await self.conn.execute(
            f"INSERT INTO jobs ({', '.join(columns)}) VALUES "
            f"({', '.join(f'%({c})s' for c in columns)}) ON CONFLICT (job_id) DO UPDATE SET "
            + ", ".join(f"{k} = EXCLUDED.{k}" for k in fields), {**fields, "job_id": job_id})
