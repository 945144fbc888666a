"""The bus: one broker factory, the JetStream streams, durable subscribers and RPC plumbing.

Every broker is built here with `AckPolicy.NACK_ON_ERROR`: FastStream's JetStream default
discards a message whose handler raised; we want it redelivered instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import msgspec
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.errors import NoRespondersError
from nats.js.api import ConsumerConfig, DeliverPolicy

from proto.api import ApiError, Reply, ServiceError
from proto.base import decode, encode

log = logging.getLogger(__name__)

# One stream per owning domain; `rpc.>` is deliberately in none of them (request/reply only).
STREAMS: dict[str, list[str]] = {
    "JOBS": ["jobs.>"],
    "TRAINING": ["training.>"],
    "PROVISIONING": ["provisioning.>"],
    "MONITORING": ["monitoring.>"],
    "COST": ["cost.>"],
    "NOTIFICATION": ["notification.>"],
    "VALIDATION": ["validation.>"],
    "PACKAGING": ["packaging.>"],
}
DUPLICATE_WINDOW_S = 600.0
ACK_WAIT_S = 10.0
MAX_DELIVER = 20


def stream_for(subject: str) -> str:
    prefix = subject.split(".", 1)[0] + ".>"
    for name, subjects in STREAMS.items():
        if prefix in subjects:
            return name
    raise ValueError(f"no stream captures subject {subject!r}")


def jstream(name: str) -> JStream:
    # declare=False: ensure_streams made it. FastStream's own declaration would "update" an
    # existing stream to its defaults, one replica among them.
    return JStream(name, subjects=STREAMS[name], duplicate_window=DUPLICATE_WINDOW_S,
                   declare=False)


def make_broker(nats_url: str, name: str) -> NatsBroker:
    return NatsBroker(
        nats_url.split(","),  # every server of a cluster: the client fails over between them
        name=name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_reconnect_attempts=-1,  # ride out a NATS restart
        reconnect_time_wait=1,
        graceful_timeout=10.0,
        log_level=logging.DEBUG,  # per-message access lines; our handlers log what matters
    )


async def ensure_streams(broker: NatsBroker, replicas: int = 1) -> None:
    """Create missing streams up front, so a publish never races a consumer's declaration.

    An existing stream keeps the limits, retention and replicas an operator gave it; we only
    add subjects it lacks.
    """
    from nats.js.errors import NotFoundError

    js = broker.config.connection_state.stream
    for name, subjects in STREAMS.items():
        try:
            config = (await js.stream_info(name)).config
        except NotFoundError:
            await js.add_stream(name=name, subjects=subjects, duplicate_window=DUPLICATE_WINDOW_S,
                                num_replicas=replicas)
            continue
        missing = [s for s in subjects if s not in (config.subjects or [])]
        if missing:
            config.subjects = [*(config.subjects or []), *missing]
            await js.update_stream(config)


async def serialize_durables(broker: NatsBroker) -> None:
    """Give the broker's existing durable consumers `max_ack_pending=1`. A consumer created
    before replicas (default 1000) keeps its config, since subscribing does not update it, and
    would hand two replicas two messages of one job at once."""
    from nats.js.errors import NotFoundError

    js = broker.config.connection_state.stream
    for stream, name in _durables.get(broker, []):
        try:
            config = (await js.consumer_info(stream, name)).config
        except NotFoundError:
            continue  # created by the subscriber, with the config durable() gives it
        if config.max_ack_pending != 1:
            config.max_ack_pending = 1
            await js.add_consumer(stream, config=config)  # create-or-update
            log.info("consumer %s: one message in flight at a time from now on", name)


def connected(broker: NatsBroker) -> bool:
    """Whether the broker's NATS client is connected right now: not before its first connect,
    nor while it is reconnecting after NATS went away (a publish would wait out its timeout)."""
    state = broker.config.connection_state
    return bool(state) and state.connection.is_connected


async def publish_event(broker: NatsBroker, event: Any, subject: str | None = None) -> None:
    """Publish one event to its stream; the event id makes a re-publish a no-op."""
    subject = subject or type(event).subject
    await broker.publish(
        encode(event),
        subject,
        headers={"Nats-Msg-Id": str(event.event_id)},
        stream=stream_for(subject),
        timeout=10,
    )


Handler = Callable[[NatsMessage], Awaitable[None]]


def durable_each(broker: NatsBroker, event_types: Iterable[type], consumer: Callable[[type], str],
                 handle: Callable[[Any], Awaitable[None]]) -> None:
    """One durable consumer per event type (named by `consumer`), each decoding its own type
    and handing the event to `handle`."""
    for event_type in event_types:
        _durable_decoded(broker, event_type, consumer(event_type), handle)


def _durable_decoded(broker: NatsBroker, event_type: type, name: str,
                     handle: Callable[[Any], Awaitable[None]]) -> None:
    async def on_message(msg: NatsMessage) -> None:
        await handle(decode(msg.body, event_type))

    on_message.__name__ = name.replace("-", "_")
    durable(broker, event_type.subject, name)(on_message)


# The durable consumers declared on each broker, as (stream, name): see serialize_durables.
_durables: weakref.WeakKeyDictionary[NatsBroker, list[tuple[str, str]]] = \
    weakref.WeakKeyDictionary()


def durable(broker: NatsBroker, subject: str, consumer: str) -> Callable[[Handler], Handler]:
    """A durable pull consumer named `<service>-<handler>`, redelivering on error or crash."""
    _durables.setdefault(broker, []).append((stream_for(subject), consumer))
    return broker.subscriber(
        subject,
        stream=jstream(stream_for(subject)),
        durable=consumer,
        # One message per fetch: FastStream runs the messages of a fetched batch concurrently,
        # and our consumers rely on stream order (a job's stages, its metrics).
        pull_sub=PullSub(batch_size=1, timeout=1.0),
        # One message in flight per consumer, across every replica that shares it: replicas
        # share the work (and take it over from a dead one) without reordering it.
        config=ConsumerConfig(
            ack_wait=ACK_WAIT_S, deliver_policy=DeliverPolicy.ALL, max_deliver=MAX_DELIVER,
            max_ack_pending=1,
        ),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )


Req = TypeVar("Req")


def rpc(
    broker: NatsBroker, request_type: type[Req]
) -> Callable[[Callable[[Req], Awaitable[Any]]], Any]:
    """Serve `request_type.subject`: decode, call, and always answer a `Reply`."""

    def register(fn: Callable[[Req], Awaitable[Any]]) -> Any:
        @broker.subscriber(request_type.subject, queue=f"q-{request_type.subject}", title=fn.__name__)
        async def serve(msg: NatsMessage) -> bytes:
            try:
                request = msgspec.json.decode(msg.body, type=request_type)
                return encode(Reply(ok=True, result=await fn(request)))
            except msgspec.ValidationError as exc:
                error = ApiError(code="invalid_request", message=str(exc),
                                 how_to_fix="Correct the field named in the message.", status=422)
            except ServiceError as exc:
                error = exc.error
            except Exception:
                log.exception("rpc %s failed", request_type.subject)
                error = ApiError(code="internal_error", message="The service failed to answer.",
                                 how_to_fix="Retry; if it persists, check the service logs.",
                                 status=500)
            return encode(Reply(ok=False, error=error))

        return fn

    return register


async def call(broker: NatsBroker, request: Any, timeout_s: float = 10.0, *,
               wait_for_service: bool = True) -> Any:
    """Ask a service; return its result or raise the `ServiceError` it answered with.

    NATS says at once when nobody serves the subject. That is a service starting or
    restarting more often than one that is gone, so the question is asked again, with backoff,
    until `timeout_s` has passed: a caller never sees a restart shorter than its timeout.
    Callers with a fallback of their own pass `wait_for_service=False` and hear it at once.

    A replica that dies holding a request never answers it. A read (`Get…`, `List…`: they change
    nothing) is therefore asked in shorter tries, and a try that times out is asked again of
    whichever replica is left; anything else waits out its whole timeout once."""
    deadline = time.monotonic() + timeout_s
    read = type(request).__name__.startswith(("Get", "List"))
    pause = 0.02
    while True:
        left = max(deadline - time.monotonic(), 0.001)
        try:
            response = await broker.request(encode(request), type(request).subject,
                                            timeout=min(left, max(1.0, timeout_s / 4)) if read
                                            else left)
            break
        except NoRespondersError as exc:
            if not wait_for_service or time.monotonic() + pause >= deadline:
                raise _unavailable(request) from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        except TimeoutError as exc:
            if not read or time.monotonic() >= deadline:
                raise _unavailable(request) from exc
            log.warning("no answer to %s in time; asking again", type(request).__name__)
    reply = msgspec.json.decode(response.body, type=Reply)
    if not reply.ok:
        raise ServiceError(**msgspec.structs.asdict(reply.error))
    return reply.result


def _unavailable(request: Any) -> ServiceError:
    return ServiceError("service_unavailable", f"No answer to {type(request).__name__}.",
                        "Check that every service is running (brightrun status).", status=503)
