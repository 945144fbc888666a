"""What every service process shares: settings, logging, broker, pool, migrations, outbox relay.

Every service may run as several replicas: RPCs are served by a queue group, durable consumers
are shared (and serial, libs/common/bus.durable), and a loop that must run once is declared with
`background(..., once=True)` and leased.

A service's `app.py` builds a `ServiceRuntime`, registers its subscribers on `runtime.broker`,
and calls `run_service`. Background loops it adds run for the life of the process, each under the
runtime's `Supervisor` (libs/common/supervision.py): restarted when they fail, and reported by the
readiness ping when they keep failing.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from libs.common.batches import consume_batches
from libs.common.bus import ensure_streams, make_broker, serialize_durables
from libs.common.db import migrate, open_pool
from libs.common.leases import leased
from libs.common.logging import configure
from libs.common.outbox import OutboxRelay, Work, unit_of_work
from libs.common.services import ping_subject
from libs.common.settings import Settings
from libs.common.supervision import Supervisor

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(self, name: str, settings: Settings, migrations: Path | None = None,
                 uses_database: bool = True) -> None:
        self.name = name
        self.settings = settings
        self.broker = make_broker(settings.nats_url, f"brightrun-{name}")
        self.pool = open_pool(settings.database_url, schema=name) if uses_database else None
        self.migrations = migrations
        self.relay = OutboxRelay(self.pool, self.broker) if self.pool else None
        self._background: list[Callable[[], Awaitable[None]]] = []
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._tasks: list[asyncio.Task] = []
        self.supervisor = Supervisor(name)
        # (subject, consumer) of each batch consumer: they are not FastStream subscribers, so
        # this is how the AsyncAPI generator (services/cli/asyncapi) lists them.
        self.batch_consumers: list[tuple[str, str]] = []
        self.leased: list[str] = []  # the loops that run on one replica at a time

        @self.broker.subscriber(ping_subject(name), include_in_schema=False)
        async def ping() -> bytes:  # readiness probe for `brightrun up`, /readyz and the tests
            problems = self.supervisor.problems()
            return b"pong" if not problems else ("not ready: " + "; ".join(problems)).encode()

    def uow(self, snapshot: bool = False) -> AbstractAsyncContextManager[Work]:
        assert self.pool is not None, f"{self.name} has no database"
        return unit_of_work(self.pool, self.relay, snapshot)

    def background(self, fn: Callable[[], Awaitable[None]] | None = None, *, once: bool = False):
        """Run `fn` supervised for the life of the process. `once=True`: work that must happen
        on one replica at a time (timers, watchers, sweepers, ordered consumers) runs only while
        this replica holds its lease (libs/common/leases.py); the other replicas stand by.
        Usable as `@runtime.background` and as `@runtime.background(once=True)`."""
        if fn is None:
            return lambda f: self.background(f, once=once)
        if once:
            assert self.pool is not None, f"{self.name}: a leased loop needs the database"
            self.leased.append(fn.__name__)
            self._background.append(leased(self.settings.database_url,
                                           f"{self.name}:{fn.__name__}", fn))
        else:
            self._background.append(fn)
        return fn

    def batches(self, subject: str, consumer: str, decode: Callable[[bytes], Any],
                handle: Callable[[list[Any]], Awaitable[None]]) -> None:
        """A durable consumer that hands `handle` every pending event at once, in stream order
        (libs/common/batches.py): for subjects hot enough that a transaction each would cost."""

        async def consume() -> None:
            await consume_batches(self.broker, subject, consumer, decode, handle)

        consume.__name__ = consumer
        # Leased: two replicas fetching from one consumer would apply a job's events
        # concurrently, out of stream order.
        self.background(consume, once=True)
        self.batch_consumers.append((subject, consumer))

    def on_start(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        self._on_start.append(fn)
        return fn

    async def start(self) -> None:
        if self.pool is not None:
            await self.pool.open(wait=True, timeout=30)
            async with self.pool.connection() as conn:
                await migrate(conn, self.name, self.migrations)
        await self.broker.connect()
        await ensure_streams(self.broker, self.settings.nats_stream_replicas)
        await serialize_durables(self.broker)
        for fn in self._on_start:
            await fn()
        await self.broker.start()
        # Subscriptions are registered when the server reads our SUBs: flush, so a request
        # sent by another client right after start() finds its responders.
        await self.broker.config.connection_state.connection.flush()
        if self.relay is not None:
            self._tasks.append(self.supervisor.start("outbox-relay", self.relay.run))
        self._tasks += [self.supervisor.start(fn.__name__, fn) for fn in self._background]
        log.info("%s started", self.name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        # Bounded: a task that swallows its cancellation must not hold the shutdown hostage.
        done, stuck = await asyncio.wait(self._tasks, timeout=15) if self._tasks else ((), ())
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not warn about it at exit
        for task in stuck:
            log.error("%s: background task %s ignored its cancellation", self.name, task.get_name())
        await self.broker.stop()
        if self.pool is not None:
            await self.pool.close()
        log.info("%s stopped", self.name)


def run_service(build: Callable[[Settings], ServiceRuntime]) -> None:
    """Entry point of a service process: run until SIGTERM/SIGINT, then shut down cleanly."""
    settings = Settings.from_env()

    async def main() -> None:
        runtime = build(settings)
        configure(runtime.name, settings.log_level)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await runtime.start()
        await stop.wait()
        await runtime.stop()

    try:
        import uvloop  # comes with uvicorn[standard]; a faster event loop for busy consumers
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
