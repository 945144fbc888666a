"""Supervised forever-loops: no background loop of a service may die silently.

Every loop a service runs (outbox relay, batch consumers, watchers, pollers, tickers, retry
schedulers) runs under a `Supervisor`: when it raises, or returns (a forever-loop that returns
has stopped doing its work), the error is logged with the loop's name and the loop is started
again after a backoff that doubles up to a cap. A loop that has failed `max_failures` times in a
row makes the service not ready (`problems()`), so `brightrun up`, the gateway's /readyz and an
orchestrator's probe see it and can restart the process; it recovers once a run outlives
`healthy_after_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class LoopHealth:
    failures: int = 0  # in a row; a run that outlives healthy_after_s resets it
    restarts: int = 0
    last_error: str = ""


class Supervisor:
    def __init__(self, service: str, max_failures: int = 5, base_backoff_s: float = 1.0,
                 max_backoff_s: float = 30.0, healthy_after_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.max_failures = max_failures
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self.clock = clock
        self.loops: dict[str, LoopHealth] = {}

    def start(self, name: str, loop: Callable[[], Awaitable[None]]) -> asyncio.Task:
        self.loops[name] = LoopHealth()
        return asyncio.create_task(self._run(name, loop), name=name)

    async def _run(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        health = self.loops[name]
        while True:
            started = self.clock()
            try:
                await loop()
                error = "returned, but it should run until the service stops"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("%s: loop %s failed; restarting it", self.service, name)
            else:
                log.error("%s: loop %s %s; restarting it", self.service, name, error)
            if self.clock() - started >= self.healthy_after_s:
                health.failures = 0
            health.failures += 1
            health.restarts += 1
            health.last_error = error
            await asyncio.sleep(self.backoff_s(health.failures))

    def backoff_s(self, failures: int) -> float:
        return min(self.base_backoff_s * 2 ** (failures - 1), self.max_backoff_s)

    def problems(self) -> list[str]:
        """Why the service is not ready: the loops that keep failing. Empty when it is."""
        return [f"loop {name} failed {h.failures} times in a row (last: {h.last_error})"
                for name, h in self.loops.items() if h.failures >= self.max_failures]


def stop_if_cancelled() -> None:
    """Raise CancelledError when this task was asked to stop and the request got lost.

    Python 3.11's asyncio.wait_for (inside nats-py's fetch) returns a result that lands with a
    cancellation and drops the cancellation (gh-86296). With messages flowing that happened in
    26 of 40 cancelled batch consumers: the loop went on fetching, and its service's stop()
    waited out its 15 s bound for each runtime. The request stays counted on the task
    (`Task.cancelling()`), so a forever-loop calls this each time round and stops as asked."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def log_failure(future: Future | asyncio.Future, what: str) -> None:
    """Keep an executor future's error: logged when it fails, never lost with the future."""

    def done(f: Future | asyncio.Future) -> None:
        if f.cancelled():
            return
        exc = f.exception()
        if exc is not None:
            log.error("%s failed: %s", what, exc, exc_info=exc)

    future.add_done_callback(done)
