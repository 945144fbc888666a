"""Durable consumers that apply, in stream order, everything that has arrived — up to a batch.

For the hot subjects (a trainer event per step, per job): FastStream's pull subscriber either
fetches one message per request (a round trip and a transaction per event) or runs a fetched
batch's messages concurrently (out of order), and its batch mode waits to fill the batch.
nats-py's `fetch` already does what we want: it returns at once with whatever is pending (up to
the batch), and long-polls only when nothing is. So under load a handler gets many events and
applies them in one transaction; at low rates it gets each one as soon as it lands.

The consumer names are the same durable consumers as before, so positions carry over.
A batch whose handler fails is applied again one message at a time, so one bad event is
redelivered (or, if it can never decode, terminated) without holding up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from faststream.nats import NatsBroker
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy

from libs.common.bus import ACK_WAIT_S, MAX_DELIVER, stream_for
from libs.common.supervision import stop_if_cancelled

log = logging.getLogger(__name__)

MAX_BATCH = 64  # applied well inside ACK_WAIT_S even at ~10 ms an event
IDLE_POLL_S = 5.0  # how long one long-poll waits when nothing is pending
NAK_DELAY_S = 1.0

E = TypeVar("E")


async def consume_batches(broker: NatsBroker, subject: str, consumer: str,
                          decode: Callable[[bytes], E],
                          handle: Callable[[list[E]], Awaitable[None]],
                          max_batch: int = MAX_BATCH) -> None:
    """Run until cancelled: fetch what is pending on `consumer`, decode, `handle(events)`, ack."""
    js = broker.config.connection_state.stream
    sub = await js.pull_subscribe(
        subject, durable=consumer, stream=stream_for(subject),
        config=ConsumerConfig(ack_wait=ACK_WAIT_S, deliver_policy=DeliverPolicy.ALL,
                              max_deliver=MAX_DELIVER))
    try:
        while True:
            stop_if_cancelled()  # fetch may have swallowed a cancellation (supervision.py)
            try:
                messages = await sub.fetch(batch=max_batch, timeout=IDLE_POLL_S)
            except (TimeoutError, NatsTimeout):
                continue
            except Exception as exc:  # reconnecting: the subscription resumes with the connection
                log.warning("%s: fetch failed (%s); retrying", consumer, exc)
                await asyncio.sleep(1.0)
                continue
            await _apply(consumer, messages, decode, handle)
    finally:
        # Messages may sit in the fetch inbox that nobody takes now (they are redelivered after
        # ack_wait). Left subscribed, they held the connection's drain in broker.stop() for its
        # whole 30 s timeout: the 30-60 s teardowns of tests whose services got trainer events.
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


def one_by_one(handle: Callable[[E], Awaitable[None]]) -> Callable[[list[E]], Awaitable[None]]:
    """For a consumer that acts on few of a hot subject's events, each in its own transaction
    when it does: the batch only saves it the fetch and ack of every event it skips."""

    async def each(events: list[E]) -> None:
        for event in events:
            await handle(event)

    return each


async def _apply(consumer: str, messages: list[Any], decode: Callable[[bytes], E],
                 handle: Callable[[list[E]], Awaitable[None]]) -> None:
    events, decoded = [], []
    for message in messages:
        try:
            events.append(decode(message.data))
            decoded.append(message)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            # No redelivery will ever decode it: say so, and let the rest through.
            log.error("%s: message %s terminated: %s", consumer, message.metadata.sequence, exc)
            await message.term()
    if not decoded:
        return
    try:
        await handle(events)
    except Exception as exc:
        if len(decoded) > 1:
            log.warning("%s: a batch of %d failed (%s); applying it one by one", consumer,
                        len(decoded), exc)
            for message in decoded:
                await _apply(consumer, [message], decode, handle)
            return
        log.error("%s: message %s failed; redelivering", consumer,
                  decoded[0].metadata.sequence, exc_info=exc)
        await decoded[0].nak(delay=NAK_DELAY_S)
        return
    for message in decoded:
        await message.ack()
