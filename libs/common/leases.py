"""Leases: a loop that must run on one replica at a time (a watchdog, a ticker, a sweeper, a
watcher, a consumer whose events must be applied in stream order).

A lease is a PostgreSQL session advisory lock held on a connection of its own. Every replica
runs the leased loop's wrapper; the one whose `pg_try_advisory_lock` succeeds runs the loop, the
others ask again every `retry_s`. The server releases the lock when that session ends: on a clean
stop, on a crash (the kernel closes the socket) and when the connection is lost; so a standby
takes the work over within `retry_s` of the holder going away. The holder checks its session
every `check_s` and stops the loop the moment it cannot: a holder that lost its session may no
longer hold the lock, and two replicas must never run the loop at once.

Why PostgreSQL and not a JetStream KV key with a TTL: every leased loop works on its service's
database anyway, the lock needs no renewal, and it cannot outlive its holder by a TTL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from psycopg import AsyncConnection

log = logging.getLogger(__name__)

# The two-int advisory-lock keyspace is apart from the one-bigint keyspace the migration runner
# locks in (libs/common/db.migrate), so a lease never collides with a schema's migration lock.
LEASE_CLASS = "brightrun-lease"
RETRY_S = 2.0
CHECK_S = 5.0
# How long a cancelled loop may take to wind down before its lease goes anyway: one that ignores
# cancellation must not hold the lease, and the supervisor restarting it, for ever.
STOP_S = 5.0


async def _try_lock(conn: AsyncConnection, name: str) -> bool:
    cur = await conn.execute(
        "SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (LEASE_CLASS, name))
    row = await cur.fetchone()
    return bool(row[0])


async def run_leased(conninfo: str, name: str, loop: Callable[[], Awaitable[None]],
                     retry_s: float = RETRY_S, check_s: float = CHECK_S,
                     stop_s: float = STOP_S) -> None:
    """Wait for the lease `name`, then run `loop` while holding it. Returns or raises as `loop`
    does, or raises when the lease's session is lost (the supervisor starts it all again)."""
    async with await AsyncConnection.connect(
            conninfo, autocommit=True, application_name=f"lease {name}"[:63]) as conn:
        # Polled: PostgreSQL tells nobody when another session's lock goes.
        while not await _try_lock(conn, name):  # noqa: ASYNC110
            await asyncio.sleep(retry_s)
        log.info("lease %s taken: this replica runs it", name)
        work = asyncio.create_task(loop(), name=name)
        try:
            while True:
                await asyncio.wait({work}, timeout=check_s)
                if work.done():
                    return work.result()
                async with asyncio.timeout(check_s):  # a partitioned server never answers
                    await conn.execute("SELECT 1")
        finally:
            await _stopped(work, name, stop_s)
            log.info("lease %s released", name)


async def _stopped(work: asyncio.Task[None], name: str, stop_s: float) -> None:
    """Cancel the loop and wait for it to end, at most `stop_s`; a loop still running then is
    logged and left behind (its lease goes with the connection). Its error while winding down is
    logged, never raised over the reason the lease is being given up."""
    work.cancel()
    done, _ = await asyncio.wait({work}, timeout=stop_s)
    if not done:
        log.error("lease %s: its loop ignored cancellation for %.1f s; releasing the lease "
                  "with the loop still running", name, stop_s)
    elif not work.cancelled() and work.exception() is not None:
        log.warning("lease %s: its loop failed while stopping", name, exc_info=work.exception())


def leased(conninfo: str, name: str,
           loop: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """`loop`, wrapped to run only while this replica holds the lease `name`."""

    async def under_lease() -> None:
        await run_leased(conninfo, name, loop)

    under_lease.__name__ = getattr(loop, "__name__", name)
    return under_lease
