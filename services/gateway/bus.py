"""The gateway's side of the bus: ask services, publish trainer events, feed the live channels."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from faststream.nats import NatsBroker, NatsMessage
from litestar.channels import ChannelsPlugin

from libs.common.bus import call, connected, ensure_streams, make_broker, publish_event
from libs.common.services import SERVICES, ping_subject
from libs.common.settings import Settings
from proto.base import decode, to_builtins
from proto.jobs import JobStatusChanged
from proto.training import TrainerEvent, TrainingEventReported, event_kind

log = logging.getLogger(__name__)
FIREHOSE = "firehose"


def job_channel(job_id: object) -> str:
    return f"job:{job_id}"


class GatewayBus:
    def __init__(self, settings: Settings, channels: ChannelsPlugin) -> None:
        self.settings = settings
        self.broker: NatsBroker = make_broker(settings.nats_url, "brightrun-gateway")
        self.channels = channels
        self._subscribe_live()

    def _subscribe_live(self) -> None:
        # Plain (non-durable) subscriptions: live frames are for whoever is watching now;
        # history comes from the monitoring service. `no_reply`: a JetStream publish is a
        # request, and an auto-reply from us would race the stream's PubAck to the publisher.
        @self.broker.subscriber(TrainingEventReported.subject, no_reply=True)
        async def on_trainer_event(msg: NatsMessage) -> None:
            event = decode(msg.body, TrainingEventReported).event
            self._push(event.job_id, {"type": event_kind(event), "data": to_builtins(event)})

        @self.broker.subscriber(JobStatusChanged.subject, no_reply=True)
        async def on_status(msg: NatsMessage) -> None:
            event = decode(msg.body, JobStatusChanged)
            self._push(event.job_id, {"type": "status", "data": to_builtins(event)})

    def _push(self, job_id: object, frame: dict[str, Any]) -> None:
        frame["job_id"] = str(job_id)
        self.channels.publish(frame, [job_channel(job_id), FIREHOSE])

    async def start(self) -> None:
        await self.broker.connect()
        await ensure_streams(self.broker, self.settings.nats_stream_replicas)
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    async def ask(self, request: Any, type: Any = None) -> Any:
        """The service's answer; with `type`, decoded into it (the route's typed response, so
        the OpenAPI document shows its schema and a malformed answer fails here, not in a client)."""
        answer = await call(self.broker, request, self.settings.rpc_timeout_s)
        return answer if type is None else msgspec.convert(answer, type)

    async def readiness(self, timeout_s: float = 2.0) -> dict[str, str]:
        """Each service's answer to its readiness ping ("pong", "not ready: …", or silence)."""
        async def ping(service: str) -> str:
            try:
                reply = await self.broker.request(b"", ping_subject(service), timeout=timeout_s)
            except Exception as exc:  # no responders, timeout, a bus outage
                return f"not answering ({type(exc).__name__})"
            return reply.body.decode(errors="replace")

        answers = await asyncio.gather(*(ping(s) for s in SERVICES))
        return dict(zip(SERVICES, answers, strict=True))

    def connected(self) -> bool:
        return connected(self.broker)

    async def report_trainer_event(self, event: TrainerEvent) -> None:
        await publish_event(self.broker, TrainingEventReported(event=event))
