"""The poll loop that outbox relays and delivery dispatchers share: drain, then sleep until
woken or until the poll interval passes, forever; a failed pass is logged and retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def drain_forever(drain_once: Callable[[], Awaitable[int]], wake: asyncio.Event,
                        poll_s: float, what: str) -> None:
    """Call `drain_once` until it reports 0 items, wait for `wake` (or `poll_s`), repeat."""
    while True:
        try:
            while await drain_once():
                pass
        except Exception:
            log.exception("%s pass failed; retrying", what)
        # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that lands as the
        # event fires (gh-86296), and the service's stop() then waits on this task forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_s):
                await wake.wait()
        wake.clear()
