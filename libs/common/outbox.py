"""Unit of work with a transactional outbox and an inbox ledger, and the relay that publishes.

A handler's effects and the events it emits commit in one transaction; the relay then
publishes committed rows with their event id as `Nats-Msg-Id` and marks them published.
A crash between commit and publish leaves rows the relay finds on its next pass; a crash
between publish and mark re-publishes a duplicate that JetStream's duplicate window drops.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from faststream.nats import NatsBroker
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.common.bus import stream_for
from libs.common.polling import drain_forever
from proto.base import encode

log = logging.getLogger(__name__)


class Work:
    """What a handler holds inside a unit of work: the connection, and the outbox."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._pending: list[tuple[str, bytes, str]] = []

    def emit(self, event: Any, subject: str | None = None) -> None:
        self._pending.append((subject or type(event).subject, encode(event), str(event.event_id)))

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Record that `consumer` applies `event_id`; False if it already had (skip the work)."""
        cur = await self.conn.execute(
            "INSERT INTO inbox (consumer, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (consumer, event_id),
        )
        return cur.rowcount == 1

    async def _flush(self) -> None:
        async with self.conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO outbox (subject, payload, msg_id) VALUES (%s, %s, %s) "
                "ON CONFLICT (msg_id) DO NOTHING",
                self._pending,
            )


class UnitOfWork(Protocol):
    """What handlers are given to open a transaction (`ServiceRuntime.uow`): each call opens
    one, and `async with uow() as work` commits the handler's writes with the events it emits."""

    def __call__(self, snapshot: bool = False) -> AbstractAsyncContextManager[Work]: ...


class OutboxRelay:
    def __init__(self, pool: AsyncConnectionPool, broker: NatsBroker, poll_s: float = 1.0) -> None:
        self.pool = pool
        self.broker = broker
        self.poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        await drain_forever(self.publish_pending, self._wake, self.poll_s, "outbox relay")

    async def publish_pending(self, batch: int = 200) -> int:
        async with self.pool.connection() as conn, conn.transaction():
            # Replicas take turns: each pass holds the schema's outbox lock until it commits.
            # SKIP LOCKED alone would let two replicas publish two batches at once, and a
            # consumer could see a job's later event before its earlier one.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('brightrun-outbox'), "
                               "hashtext(current_schema()))")
            rows = await (await conn.execute(
                "SELECT id, subject, payload, msg_id FROM outbox WHERE published_at IS NULL "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", (batch,),
            )).fetchall()
            for row in rows:
                await self.broker.publish(
                    bytes(row["payload"]), row["subject"],
                    headers={"Nats-Msg-Id": row["msg_id"]},
                    stream=stream_for(row["subject"]), timeout=10,
                )
            if rows:
                await conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)",
                    ([r["id"] for r in rows],),
                )
            return len(rows)


@asynccontextmanager
async def unit_of_work(pool: AsyncConnectionPool, relay: OutboxRelay | None,
                       snapshot: bool = False) -> AsyncIterator[Work]:
    """`snapshot`: reads only, all of one committed state. Under the default READ COMMITTED
    each statement sees what has committed so far, so a query that adds up several reads can
    count a change that commits between two of them in one and not in the other."""
    async with pool.connection() as conn:
        async with conn.transaction():
            if snapshot:
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            work = Work(conn)
            yield work
            if work._pending:
                await work._flush()
    if relay is not None and work._pending:
        relay.wake()
