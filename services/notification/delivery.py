"""The dispatcher: sends pending email and Slack notifications, retries with backoff, records.

Exactly-once, and where it cannot be
-----------------------------------
A notification row exists once per (triggering event, channel) — its id is derived from both —
and it is written before the triggering message is acked, so redelivery of the event never makes
a second one. Each send follows *claim → send → record*:

1. claim: one committed UPDATE moves the row to `sending` and takes a lease (SKIP LOCKED, so
   replicas never claim the same row);
2. send: SMTP `DATA` accepted, or the webhook answered 2xx;
3. record: a committed UPDATE moves it to `delivered` (or back to `pending` with a backoff, or
   to `failed` after the last retry).

A process killed between 2 and 3 leaves a `sending` row whose outcome nobody knows. Neither SMTP
nor Slack webhooks take an idempotency key, so no protocol closes that window; we keep it as
narrow as one network round trip plus one local commit, and after the lease expires the row is
sent again (at-least-once rather than silently lost). The duplicate email carries the same
`Message-ID`, which lets mail systems and clients recognise and fold it; a Slack duplicate shows
the same notification id in its context line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from libs.common.outbox import UnitOfWork
from libs.common.polling import drain_forever
from services.notification import domain
from services.notification.repository import Notifications

log = logging.getLogger(__name__)
SEND_LEASE_S = 120.0  # longer than any send may take (SMTP timeout 20 s, webhook 10 s)
DRAIN_S = 25.0  # on shutdown, how long sends in flight may take to finish and be recorded


class Channel(Protocol):
    async def send(self, row: dict[str, Any]) -> None: ...


class Dispatcher:
    def __init__(self, uow: UnitOfWork, channels: dict[str, Channel], retry_base_s: float,
                 poll_s: float = 1.0, lease_s: float = SEND_LEASE_S, batch: int = 20) -> None:
        self.uow = uow
        self.channels = channels
        self.retry_base_s = retry_base_s
        self.poll_s = poll_s
        self.lease_s = lease_s
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A new notification was committed: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        await drain_forever(self.deliver_due, self._wake, self.poll_s, "notification dispatch")

    async def deliver_due(self) -> int:
        async with self.uow() as work:
            rows = await Notifications(work.conn).claim_due(self.batch, self.lease_s)
        if not rows:
            return 0
        sends = [asyncio.create_task(self._deliver(row)) for row in rows]
        try:
            await asyncio.wait(sends)
        except asyncio.CancelledError:
            # A clean stop lets sends already on the wire finish and be recorded, so only a
            # crash can leave a sent message unrecorded. (`wait`, unlike `gather`, does not
            # cancel them.)
            await asyncio.wait(sends, timeout=DRAIN_S)
            raise
        for send in sends:
            if send.exception() is not None:
                log.error("recording notification delivery failed", exc_info=send.exception())
        return len(rows)

    async def _deliver(self, row: dict[str, Any]) -> None:
        error = None
        try:
            await self.channels[row["channel"]].send(row)
        except Exception as exc:  # any failure of a receiver is a retry, never a lost row
            error = str(exc) or repr(exc)
        async with self.uow() as work:
            repo = Notifications(work.conn)
            if error is None:
                await repo.delivered(row["id"])
                return
            retry_in = domain.retry_delay(row["attempts"], self.retry_base_s)
            await repo.attempt_failed(row["id"], error, retry_in)
        log.warning("notification %s via %s failed (attempt %d): %s%s", row["id"],
                    row["channel"], row["attempts"], error,
                    "" if retry_in else "; giving up, recorded as failed")
