"""Leases on a real PostgreSQL: one holder at a time, and a standby takes over when the holder
stops, or when the holder's session is lost (and then the old holder's loop is stopped)."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest

from libs.common.leases import run_leased


class Replica:
    """One replica's leased loop: it records that it runs, and runs until cancelled."""

    def __init__(self, database_url: str, name: str = "svc:ticker") -> None:
        self.running = asyncio.Event()
        self.stopped = asyncio.Event()
        self.task = asyncio.create_task(
            run_leased(database_url, name, self.loop, retry_s=0.1, check_s=0.2))

    async def loop(self) -> None:
        self.running.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped.set()

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
            await self.task


async def holder_pid(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' "
                                 "AND l.granted AND l.database = (SELECT oid FROM pg_database "
                                 "WHERE datname = current_database())")
        rows = await cur.fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


async def test_one_holder_and_a_standby_takes_over_when_it_stops(database_url) -> None:
    first = Replica(database_url)
    await asyncio.wait_for(first.running.wait(), 10)
    second = Replica(database_url)
    await asyncio.sleep(0.5)  # five of the standby's tries
    assert not second.running.is_set()
    await first.stop()
    assert first.stopped.is_set()
    await asyncio.wait_for(second.running.wait(), 10)
    await second.stop()


async def test_different_names_are_different_leases(database_url) -> None:
    ticker, sweeper = Replica(database_url, "svc:ticker"), Replica(database_url, "svc:sweeper")
    await asyncio.wait_for(asyncio.gather(ticker.running.wait(), sweeper.running.wait()), 10)
    await ticker.stop()
    await sweeper.stop()


async def test_a_holder_that_loses_its_session_stops_its_loop(database_url) -> None:
    first = Replica(database_url)
    await asyncio.wait_for(first.running.wait(), 10)
    second = Replica(database_url)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (await holder_pid(database_url),))
    await asyncio.wait_for(first.stopped.wait(), 10)
    with pytest.raises(psycopg.OperationalError):
        await first.task  # the supervisor sees the failure and starts the wrapper again
    await asyncio.wait_for(second.running.wait(), 10)
    await second.stop()


async def test_a_loop_that_ignores_cancellation_does_not_keep_its_lease(database_url) -> None:
    running, let_go = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        running.set()
        while not let_go.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await let_go.wait()

    holder = asyncio.create_task(run_leased(database_url, "svc:stubborn", stubborn,
                                            retry_s=0.1, check_s=0.2, stop_s=0.5))
    await asyncio.wait_for(running.wait(), 10)
    [loop] = [t for t in asyncio.all_tasks() if t.get_name() == "svc:stubborn"]
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(holder, 10)  # before the bound, run_leased waited here for ever
    assert not loop.done()  # it returned without the loop, which still ignores cancellation
    standby = Replica(database_url, "svc:stubborn")  # and the lease went with its connection
    await asyncio.wait_for(standby.running.wait(), 10)
    await standby.stop()
    let_go.set()
    await loop


async def test_an_existing_durable_consumer_is_made_serial_for_replicas(bus) -> None:
    """A consumer made before replicas (max_ack_pending 1000) gets one message in flight."""
    from nats.js.api import ConsumerConfig

    from libs.common.bus import durable, make_broker, serialize_durables
    from proto.jobs import JobQueued

    js = bus.broker.config.connection_state.stream
    await js.add_consumer("JOBS", ConsumerConfig(durable_name="svc-on-queued",
                                                 filter_subject=JobQueued.subject))
    assert (await js.consumer_info("JOBS", "svc-on-queued")).config.max_ack_pending == 1000
    broker = make_broker(bus.url, "replica")
    durable(broker, JobQueued.subject, "svc-on-queued")(lambda msg: None)
    await broker.connect()
    try:
        await serialize_durables(broker)
    finally:
        await broker.stop()
    assert (await js.consumer_info("JOBS", "svc-on-queued")).config.max_ack_pending == 1
