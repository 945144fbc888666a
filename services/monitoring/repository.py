"""SQL for the monitoring schema: the event log, metrics history and heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

METRIC_FIELDS = ("epoch", "loss", "val_loss", "perplexity", "learning_rate", "grad_norm",
                 "tokens_per_s", "memory_bytes", "total_steps")


class Monitoring:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_event(self, row: dict[str, Any]) -> bool:
        cur = await self.conn.execute(
            "INSERT INTO events (event_id, job_id, attempt, kind, category, seq, occurred_at, "
            "message, payload) VALUES (%(event_id)s, %(job_id)s, %(attempt)s, %(kind)s, "
            "%(category)s, %(seq)s, %(occurred_at)s, %(message)s, %(payload)s) "
            "ON CONFLICT (event_id) DO NOTHING",
            {**row, "payload": Jsonb(row["payload"])},
        )
        return cur.rowcount == 1

    async def upsert_metric(self, row: dict[str, Any]) -> None:
        values = {f: row.get(f) for f in METRIC_FIELDS}
        columns = ", ".join(METRIC_FIELDS)
        params = ", ".join(f"%({f})s" for f in METRIC_FIELDS)
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in METRIC_FIELDS)
        await self.conn.execute(
            f"INSERT INTO metrics (job_id, step, kind, attempt, at, {columns}) VALUES "
            f"(%(job_id)s, %(step)s, %(kind)s, %(attempt)s, %(at)s, {params}) "
            f"ON CONFLICT (job_id, step, kind) DO UPDATE SET attempt = EXCLUDED.attempt, "
            f"at = EXCLUDED.at, {updates}",
            {**values, **{k: row[k] for k in ("job_id", "step", "kind", "attempt", "at")}},
        )

    async def beat(self, job_id: uuid.UUID, attempt: int, step: int, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO heartbeats (job_id, attempt, step, last_seen) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (job_id) DO UPDATE SET attempt = EXCLUDED.attempt, step = EXCLUDED.step, "
            "last_seen = GREATEST(heartbeats.last_seen, EXCLUDED.last_seen)",
            (job_id, attempt, step, at),
        )

    async def event_log(self, job_id: uuid.UUID, categories: list[str], q: str, offset: int,
                        limit: int, event_types: list[str] = (), newest_first: bool = False,
                        after: uuid.UUID | None = None) -> tuple[int, list[dict[str, Any]]]:
        """One page of the job's log and the total it pages through; `after` is a cursor (the
        page starts past that event in the chosen order)."""
        where = ("job_id = %(job)s AND (cardinality(%(cats)s::text[]) = 0 OR category = ANY(%(cats)s)) "
                 "AND (cardinality(%(kinds)s::text[]) = 0 OR kind = ANY(%(kinds)s)) "
                 "AND (%(q)s = '' OR message ILIKE %(like)s)")
        params = {"job": job_id, "cats": categories, "kinds": list(event_types), "q": q,
                  "like": f"%{q}%", "offset": offset, "limit": limit, "after": after}
        total = (await (await self.conn.execute(
            f"SELECT count(*) AS n FROM events WHERE {where}", params)).fetchone())["n"]
        # event_id breaks ties, so a cursor never skips or repeats events of the same instant.
        direction, past = ("DESC", "<") if newest_first else ("ASC", ">")
        cursor = ("" if after is None else
                  f" AND (occurred_at, seq, event_id) {past} (SELECT occurred_at, seq, event_id "
                  "FROM events WHERE event_id = %(after)s AND job_id = %(job)s)")
        rows = await (await self.conn.execute(
            f"SELECT event_id, kind, category, occurred_at, message, payload FROM events "
            f"WHERE {where}{cursor} ORDER BY occurred_at {direction}, seq {direction}, "
            f"event_id {direction} OFFSET %(offset)s LIMIT %(limit)s", params,
        )).fetchall()
        return total, rows

    async def metrics(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT * FROM metrics WHERE job_id = %s ORDER BY step, kind", (job_id,))
        return await cur.fetchall()

    async def metrics_page(self, job_id: uuid.UUID, after_step: int, limit: int
                           ) -> list[tuple[Any, ...]]:
        """Steps after `after_step`, train and eval merged, each with the resource sample
        nearest in time (the one before or after it, by the partial index on resources)."""
        cur = await self.conn.execute(
            "WITH page AS (SELECT step, max(epoch) AS epoch, "
            "max(loss) FILTER (WHERE kind = 'train') AS loss, "
            "max(val_loss) FILTER (WHERE kind = 'eval') AS val_loss, "
            "max(learning_rate) AS learning_rate, max(perplexity) AS perplexity, max(at) AS at "
            "FROM metrics WHERE job_id = %(job)s AND step > %(after)s GROUP BY step "
            "ORDER BY step LIMIT %(limit)s) "
            "SELECT p.step, p.epoch, p.loss, p.val_loss, p.learning_rate, p.perplexity, "
            "(near.payload->>'utilisation_pct')::float8, (near.payload->>'memory_bytes')::bigint, "
            "p.at FROM page p LEFT JOIN LATERAL (SELECT payload FROM ("
            " (SELECT payload, occurred_at FROM events WHERE job_id = %(job)s AND kind = 'resources'"
            "  AND occurred_at <= p.at ORDER BY occurred_at DESC LIMIT 1) UNION ALL"
            " (SELECT payload, occurred_at FROM events WHERE job_id = %(job)s AND kind = 'resources'"
            "  AND occurred_at > p.at ORDER BY occurred_at LIMIT 1)) two "
            " ORDER BY abs(extract(epoch FROM two.occurred_at - p.at)) LIMIT 1) near ON true "
            "ORDER BY p.step",
            {"job": job_id, "after": after_step, "limit": limit})
        return [tuple(r.values()) for r in await cur.fetchall()]

    async def progress_inputs(self, job_id: uuid.UUID) -> dict[str, Any]:
        async def one(sql: str) -> dict[str, Any] | None:
            return await (await self.conn.execute(sql, (job_id,))).fetchone()

        return {
            "first": await one("SELECT * FROM metrics WHERE job_id = %s AND kind = 'train' "
                               "ORDER BY at LIMIT 1"),
            "latest": await one("SELECT * FROM metrics WHERE job_id = %s AND kind = 'train' "
                                "ORDER BY step DESC LIMIT 1"),
            "latest_eval": await one("SELECT * FROM metrics WHERE job_id = %s AND kind = 'eval' "
                                     "ORDER BY step DESC LIMIT 1"),
            "span": await one("SELECT min(occurred_at) AS started_at, max(occurred_at) AS last_at "
                              "FROM events WHERE job_id = %s"),
            "stage": await one("SELECT payload, occurred_at FROM events WHERE job_id = %s AND "
                               "kind = 'stage' ORDER BY occurred_at DESC, seq DESC LIMIT 1"),
            "ready": await one("SELECT payload, occurred_at FROM events WHERE job_id = %s AND "
                               "kind = 'stage' AND jsonb_typeof(payload->'ready') = 'object' "
                               "ORDER BY occurred_at DESC, seq DESC LIMIT 1"),
        }

    async def latest_resources(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        """The newest resource sample (the partial index events_resources finds it)."""
        cur = await self.conn.execute(
            "SELECT payload, occurred_at FROM events WHERE job_id = %s AND kind = 'resources' "
            "ORDER BY occurred_at DESC LIMIT 1", (job_id,))
        return await cur.fetchone()
