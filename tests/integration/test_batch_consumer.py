"""Batch consumers on a real NATS: in order, once each, batched under load, and one bad event
neither blocks nor takes down the others."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from support import eventually, handled

from libs.common.batches import consume_batches
from proto.training import Heartbeat, TrainingEventReported

JOB = uuid.uuid4()


async def published(bus, steps: range) -> list[int]:
    for step in steps:
        await bus.publish(TrainingEventReported(event=Heartbeat(job_id=JOB, step=step, seq=step)))
    return list(steps)


@contextlib.asynccontextmanager
async def consuming(bus, handle, consumer: str = "test-batches"):
    task = asyncio.create_task(consume_batches(
        bus.broker, TrainingEventReported.subject, consumer, TrainingEventReported.unwrap,
        handle))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_backlog_arrives_in_order_in_batches_and_each_event_once(bus) -> None:
    sent = await published(bus, range(1, 151))  # waiting before the consumer starts
    batches: list[list[int]] = []

    async def handle(events) -> None:
        batches.append([e.step for e in events])

    async with consuming(bus, handle):
        await eventually(lambda: sum(map(len, batches)) >= len(sent))
        await handled(bus, TrainingEventReported.subject)  # every one acked: none can come back
    info = await bus.nc.jetstream().consumer_info("TRAINING", "test-batches")
    assert info.delivered.consumer_seq == len(sent)  # each delivered once: none redelivered
    assert [step for batch in batches for step in batch] == sent
    assert max(map(len, batches)) > 1


async def test_a_failing_event_is_redelivered_and_the_rest_of_its_batch_applied(bus) -> None:
    sent = await published(bus, range(1, 21))
    applied: list[int] = []
    tries = {"step 7": 0}

    async def handle(events) -> None:
        if any(e.step == 7 for e in events):
            tries["step 7"] += 1
            if tries["step 7"] <= 2:  # fails in the batch, and once more on its own
                raise RuntimeError("transient")
        applied.extend(e.step for e in events)

    async with consuming(bus, handle):
        await eventually(lambda: sorted(applied) == sent)
    assert applied.count(7) == 1
    assert [s for s in applied if s != 7] == [s for s in sent if s != 7]


async def test_an_undecodable_message_is_terminated_not_retried(bus) -> None:
    await bus.nc.jetstream().publish(TrainingEventReported.subject, b"{not json")
    sent = await published(bus, range(1, 4))
    applied: list[int] = []

    async def handle(events) -> None:
        applied.extend(e.step for e in events)

    async with consuming(bus, handle):
        await eventually(lambda: applied == sent)
        # A nak'd message stays pending until it comes back: this waits out only acks and terms.
        await handled(bus, TrainingEventReported.subject)
    info = await bus.nc.jetstream().consumer_info("TRAINING", "test-batches")
    assert applied == sent
    assert info.delivered.consumer_seq == 1 + len(sent)  # the bad one too, once and no more
