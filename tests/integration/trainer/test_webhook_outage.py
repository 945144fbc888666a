"""The webhook sink through a gateway or bus outage: events wait in order and go out once the
gateway answers again; only an outage past the horizon, or a full queue, drops any (logged)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import pytest
from test_trainer_report import Gateway

from proto.base import encode
from proto.training import Heartbeat
from trainer.webhook import Backoff, HttpSink

JOB = uuid.uuid4()
FAST = Backoff(first_s=0.01, max_s=0.05, horizon_s=30.0)  # the shape of the real one, quicker


def beat(seq: int) -> bytes:
    return encode(Heartbeat(job_id=JOB, seq=seq, step=seq))


@pytest.fixture
def down() -> Iterator[Gateway]:
    """A gateway that answers 503 (the bus behind it is down) until told otherwise."""
    server = Gateway(fail_first=10**9)
    yield server
    server.server.shutdown()


def recover(gateway: Gateway) -> None:
    gateway.fail_first = gateway.attempts  # every post from now on is accepted


def wait_for(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_events_wait_through_an_outage_and_arrive_in_order(down: Gateway, caplog) -> None:
    caplog.set_level(logging.INFO, "trainer.report")
    sink = HttpSink(down.url, "secret", FAST)
    for seq in range(1, 21):
        sink.send(beat(seq))
    wait_for(lambda: down.attempts >= 8)  # well past the old sink's give-up point
    recover(down)
    sink.close(timeout_s=10)
    assert [e.seq for e in down.events()] == list(range(1, 21)) and sink.dropped == 0
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) >= 7 and all(r.levelno == logging.WARNING for r in retries)
    assert any("delivery resumed" in r.getMessage() for r in caplog.records)
    # capped backoff: no wait grew past max_s
    assert all(float(r.getMessage().split("retrying in ")[1].split(" s")[0]) <= FAST.max_s
               for r in retries)


def test_an_outage_past_the_horizon_drops_what_waits_and_the_next_event_gets_through(
        down: Gateway, caplog) -> None:
    sink = HttpSink(down.url, "secret", Backoff(first_s=0.01, max_s=0.02, horizon_s=0.3))
    for seq in range(1, 6):
        sink.send(beat(seq))
    wait_for(lambda: sink.dropped == 5)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and all("past the horizon" in e for e in errors)
    assert sum(int(e.split("dropped ")[1].split()[0]) for e in errors) == 5
    recover(down)
    sink.send(beat(6))
    sink.close(timeout_s=10)
    assert [e.seq for e in down.events()] == [6] and sink.dropped == 5


def test_a_full_queue_drops_new_events_and_says_how_many(down: Gateway, caplog) -> None:
    sink = HttpSink(down.url, "secret", FAST, max_queue=2)
    sink.send(beat(1))
    wait_for(lambda: down.attempts >= 1)  # event 1 is out of the queue, being retried
    for seq in range(2, 6):
        sink.send(beat(seq))  # 2 and 3 wait; 4 and 5 find the queue full
    recover(down)
    wait_for(lambda: len(down.received) == 3)
    sink.send(beat(6))  # room again: the stretch of drops is reported with its count
    sink.close(timeout_s=10)
    assert [e.seq for e in down.events()] == [1, 2, 3, 6] and sink.dropped == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("queue full" in e for e in errors)
    assert any("2 events were dropped" in e for e in errors)
