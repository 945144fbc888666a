"""Asking a service over NATS: a service that starts (or restarts) within the caller's timeout
is waited for; one that never comes is a 503, not a crash."""

from __future__ import annotations

import asyncio
import time

import pytest

from libs.common.bus import call, make_broker, rpc
from proto.api import ServiceError
from proto.notification import (
    GetNotificationPreferences,
    NotificationPreferences,
    SetNotificationPreferences,
)


async def serve_after(url: str, delay_s: float) -> object:
    await asyncio.sleep(delay_s)
    broker = make_broker(url, "late-service")

    @rpc(broker, GetNotificationPreferences)
    async def answer(q: GetNotificationPreferences):
        return {"answered": True}

    await broker.start()
    return broker


async def test_a_question_asked_before_its_service_starts_is_answered_once_it_does(
        bus, settings) -> None:
    late = asyncio.create_task(serve_after(settings.nats_url, 0.4))
    try:
        started = time.monotonic()
        result = await call(bus.broker, GetNotificationPreferences(), timeout_s=5.0)
        assert result == {"answered": True}
        assert time.monotonic() - started >= 0.3  # it really was asked before the service ran
    finally:
        await (await late).stop()


async def test_a_service_that_never_comes_is_unavailable_when_the_timeout_ends(bus) -> None:
    started = time.monotonic()
    with pytest.raises(ServiceError) as raised:
        await call(bus.broker, GetNotificationPreferences(), timeout_s=0.5)
    assert raised.value.error.code == "service_unavailable" and raised.value.error.status == 503
    assert time.monotonic() - started >= 0.3  # asked again until the timeout, not failed at once


async def test_a_caller_with_its_own_fallback_hears_at_once_that_nobody_serves(bus) -> None:
    with pytest.raises(ServiceError) as raised:
        await call(bus.broker, GetNotificationPreferences(), timeout_s=30.0,
                   wait_for_service=False)
    assert raised.value.error.status == 503


async def _replica_that_dies_holding_the_first_request(url: str, kind: type) -> asyncio.Event:
    """A replica takes the first request and dies without answering; as it goes, another
    replica (a service's second one) starts serving."""
    held = asyncio.Event()
    dying = make_broker(url, "dying-replica")

    @rpc(dying, kind)
    async def hold(_):
        held.set()
        survivor = make_broker(url, "surviving-replica")

        @rpc(survivor, kind)
        async def answer(_):
            return {"answered_by": "survivor"}

        await survivor.start()
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(dying.stop()))
        await asyncio.sleep(3600)  # never answers: it is gone

    await dying.start()
    return held


async def test_a_read_held_by_a_replica_that_died_is_asked_again_of_the_survivor(
        bus, settings) -> None:
    held = await _replica_that_dies_holding_the_first_request(settings.nats_url,
                                                               GetNotificationPreferences)
    # The default timeout: under load (a fresh clone's full run), the survivor's start and the
    # dying replica's unsubscribe took longer than the four 1 s tries of a 4 s one.
    result = await call(bus.broker, GetNotificationPreferences(), timeout_s=10.0)
    assert held.is_set() and result == {"answered_by": "survivor"}


async def test_a_write_is_never_sent_twice_however_long_its_answer_takes(bus, settings) -> None:
    held = await _replica_that_dies_holding_the_first_request(settings.nats_url,
                                                               SetNotificationPreferences)
    with pytest.raises(ServiceError) as raised:
        await call(bus.broker, SetNotificationPreferences(
            preferences=NotificationPreferences()), timeout_s=2.0)
    assert held.is_set() and raised.value.error.status == 503
