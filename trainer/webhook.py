"""The HTTP webhook sink: trainer events POSTed to the gateway in order, from one thread, riding
out an outage of the gateway or of the bus behind it (which the gateway answers with a 503).

The head of the queue is retried with capped exponential backoff until it is delivered, so
nothing behind it overtakes it. Events are dropped only when the gateway has been unreachable
for longer than the horizon (the run is surely declared lost by then) or when the bounded queue
is full; each drop is logged as an error with its count.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from libs.common.signing import sign

log = logging.getLogger("trainer.report")


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.5
    max_s: float = 30.0  # a recovered gateway hears from us within this
    horizon_s: float = 900.0  # an outage this long drops what waits, rather than queue forever


class HttpSink:
    """POSTs bodies in order from one thread (fresh timestamp and signature each try, so the
    gateway's replay window holds)."""

    def __init__(self, url: str, secret: str, backoff: Backoff | None = None,
                 max_queue: int = 10_000) -> None:
        import httpx

        self.url, self.secret, self.backoff = url, secret, backoff or Backoff()
        self._client = httpx.Client(timeout=10.0)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_queue)
        self.dropped = 0  # delivered never: the queue was full, or past the horizon
        self._full_drops = 0  # in the current stretch of a full queue
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def send(self, body: bytes) -> None:
        try:
            self._queue.put_nowait(body)
        except queue.Full:
            self._count_drops(1)
            self._full_drops += 1
            if self._full_drops == 1:
                log.error("webhook queue full (%d events waiting): dropping new events",
                          self._queue.maxsize)
            return
        if self._full_drops:
            log.error("webhook queue had room again: %d events were dropped while it was full",
                      self._full_drops)
            self._full_drops = 0

    def _count_drops(self, n: int) -> None:
        with self._lock:  # send() and the sender thread both drop
            self.dropped += n

    def _run(self) -> None:
        down_since: float | None = None  # monotonic start of the current outage
        delay = self.backoff.first_s
        while (body := self._queue.get()) is not None:
            while (why := self._post(body)) is not None:
                down_since = down_since or time.monotonic()
                down_s = time.monotonic() - down_since
                if down_s >= self.backoff.horizon_s:
                    self._drop_waiting(why, down_s)
                    time.sleep(delay)  # probe again at the capped pace, not per event
                    break
                log.warning("webhook post failed (%s), %d events waiting; retrying in %.2f s "
                            "(gateway unreachable for %.0f s)", why, self._queue.qsize() + 1,
                            delay, down_s)
                time.sleep(delay)
                delay = min(delay * 2, self.backoff.max_s)
            else:  # delivered (not dropped: that breaks out)
                if down_since is not None:
                    log.info("webhook delivery resumed after %.0f s of outage",
                             time.monotonic() - down_since)
                down_since, delay = None, self.backoff.first_s

    def _drop_waiting(self, why: str, down_s: float) -> None:
        """Past the horizon: this event and all queued behind it go (one error, with the count);
        the next event probes the gateway again."""
        n = 1
        while True:
            try:
                if self._queue.get_nowait() is None:
                    self._queue.put(None)  # close() is waiting: keep its stop marker
                    break
                n += 1
            except queue.Empty:
                break
        self._count_drops(n)
        log.error("webhook: gateway unreachable for %.1f s, past the horizon of %.1f s (%s): "
                  "dropped %d events", down_s, self.backoff.horizon_s, why, n)

    def _post(self, body: bytes) -> str | None:
        """None when the event is done with (delivered, or refused for good); else why not."""
        try:
            headers = {"Content-Type": "application/json", **sign(self.secret, body)}
            response = self._client.post(self.url, content=body, headers=headers)
        except Exception as exc:  # network errors: retry
            return f"{type(exc).__name__}: {exc}"
        if response.status_code < 400:
            return None
        if response.status_code < 500 and response.status_code not in (408, 429):
            self._count_drops(1)
            log.error("webhook rejected (%s): %s", response.status_code, response.text[:200])
            return None  # a 4xx will not change on retry
        return f"HTTP {response.status_code}"

    def close(self, timeout_s: float | None = None) -> None:
        """Deliver what is queued, then stop. Through an outage this waits up to the horizon
        (`timeout_s` None): the run's last events (Completed, Failed) are the ones that matter
        most — unless the caller has less time than that (a SIGTERM's grace period)."""
        if timeout_s is None:
            timeout_s = self.backoff.horizon_s + self.backoff.max_s
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            pass
        self._thread.join(timeout_s)
        left = self._queue.qsize()
        if left or self.dropped:
            log.error("webhook: %d events not delivered, %d still queued", self.dropped, left)
        self._client.close()
