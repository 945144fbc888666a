"""Trainer webhooks at the gateway: signed posts reach the bus once; forged ones never do."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from support import eventually, running_gateway

from libs.common.signing import MAX_BODY_BYTES, derive_job_secret, sign
from proto.base import decode, encode
from proto.training import StageChanged, TrainingEventReported


@pytest.fixture
async def client(settings):
    async with running_gateway(settings) as test_client:
        yield test_client


def post(client, settings, event, secret: str | None = None, timestamp: int | None = None,
         body: bytes | None = None):
    body = encode(event) if body is None else body
    key = secret or derive_job_secret(settings.webhook_secret, event.job_id)
    return client.post(f"/api/v1/webhooks/trainer/{event.job_id}", content=body,
                       headers=sign(key, body, timestamp))


async def stored_events(bus) -> list[TrainingEventReported]:
    return [decode(b, TrainingEventReported) for b in await bus.stored(TrainingEventReported.subject)]


def stage(job_id: uuid.UUID | None = None) -> StageChanged:
    return StageChanged(job_id=job_id or uuid.uuid4(), stage="preprocessing")


async def test_signed_event_is_accepted_and_published_unchanged(client, settings, bus):
    event = stage()
    response = await asyncio.to_thread(post, client, settings, event)
    assert response.status_code == 202
    assert [r.event for r in await stored_events(bus)] == [event]


async def test_forged_signature_is_rejected_and_not_published(client, settings, bus):
    response = await asyncio.to_thread(post, client, settings, stage(), "someone-elses-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook_rejected"
    assert await stored_events(bus) == []


async def test_secret_of_another_job_is_rejected(client, settings, bus):
    other = derive_job_secret(settings.webhook_secret, uuid.uuid4())
    response = await asyncio.to_thread(post, client, settings, stage(), other)
    assert response.status_code == 401


async def test_stale_timestamp_is_rejected(client, settings, bus):
    response = await asyncio.to_thread(post, client, settings, stage(), None,
                                       int(time.time()) - 3600)
    assert response.status_code == 401
    assert "outside" in response.json()["error"]["message"]


async def test_oversized_body_is_rejected(client, settings, bus):
    event = stage()
    body = encode(event)[:-1] + b', "detail": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await asyncio.to_thread(post, client, settings, event, None, None, body)
    assert response.status_code == 413
    assert await stored_events(bus) == []


async def test_replayed_post_is_acknowledged_but_published_once(client, settings, bus):
    event = stage()
    first = await asyncio.to_thread(post, client, settings, event)
    replay = await asyncio.to_thread(post, client, settings, event)
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == {"status": "duplicate"}
    assert len(await stored_events(bus)) == 1


async def test_event_for_another_job_than_the_url_is_rejected(client, settings, bus):
    event = stage()
    body = encode(event)
    url_job = uuid.uuid4()
    response = await asyncio.to_thread(
        client.post, f"/api/v1/webhooks/trainer/{url_job}", content=body,
        headers=sign(derive_job_secret(settings.webhook_secret, url_job), body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "job_mismatch"


async def test_post_that_meets_a_bus_outage_gets_503_at_once_and_its_retry_gets_through(
        client, settings, bus, nats_server):
    event = stage()
    nats_server.stop()

    async def refused_at_once():  # once the gateway's client has seen NATS go: no 10 s wait
        started = time.monotonic()
        response = await asyncio.to_thread(post, client, settings, event)
        return response if response.status_code == 503 and time.monotonic() - started < 1 else None
    during = await eventually(refused_at_once, timeout_s=30, interval_s=0.5)
    nats_server.start()  # same port, same store: clients reconnect
    assert during.status_code == 503  # a 5xx: the trainer posts it again
    assert during.json()["error"]["code"] == "bus_unavailable"

    async def retried():
        response = await asyncio.to_thread(post, client, settings, event)
        return response if response.status_code == 202 else None
    assert (await eventually(retried, timeout_s=30, interval_s=1.0)).json() == {
        "status": "accepted"}  # not taken for a replay of the post that was not passed on
    assert [r.event for r in await eventually(lambda: stored_events(bus))] == [event]
