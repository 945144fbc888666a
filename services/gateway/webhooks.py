"""Trainer webhooks: verified, de-duplicated, then republished on the bus unchanged."""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency

from libs.common.settings import Settings
from libs.common.signing import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOLERANCE_S,
    SignatureError,
    derive_job_secret,
    verify,
)
from proto.api import ServiceError
from proto.training import TrainerEvent
from services.gateway.bus import GatewayBus

log = logging.getLogger(__name__)


class RecentEvents:
    """Event ids seen inside the signature window: a replayed post is acknowledged, not re-sent."""

    def __init__(self, horizon_s: float = TOLERANCE_S, max_size: int = 200_000) -> None:
        self.horizon_s, self.max_size = horizon_s, max_size
        self._seen: OrderedDict[uuid.UUID, float] = OrderedDict()

    def first_time(self, event_id: uuid.UUID) -> bool:
        now = time.monotonic()
        while self._seen and (len(self._seen) > self.max_size
                              or now - next(iter(self._seen.values())) > self.horizon_s):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True

    def forget(self, event_id: uuid.UUID) -> None:
        """The event was not passed on after all: the trainer's retry must get through."""
        self._seen.pop(event_id, None)


RECENT = RecentEvents()


class WebhooksController(Controller):
    path = "/webhooks"
    tags = ["trainer webhooks"]
    security = [{}]  # no API key (access.EXEMPT): its own token guards it
    include_in_schema = True

    @post("/trainer/{job_id:uuid}", status_code=202, request_max_body_size=MAX_BODY_BYTES)
    async def trainer_event(self, job_id: uuid.UUID, request: Request, bus: NamedDependency[GatewayBus],
                            settings: NamedDependency[Settings]) -> dict[str, str]:
        """Accept one signed trainer event (HMAC-SHA256 over `timestamp.body`)."""
        body = await request.body()
        try:
            verify(derive_job_secret(settings.webhook_secret, job_id), body,
                   request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            log.warning("rejected trainer webhook for job %s from %s: %s", job_id,
                        request.client.host if request.client else "?", exc)
            status = 413 if len(body) > MAX_BODY_BYTES else 401
            raise ServiceError("webhook_rejected", f"Webhook rejected: {exc}.",
                               "Sign the body with the job's secret and a current timestamp.",
                               status=status) from exc
        try:
            event = msgspec.json.decode(body, type=TrainerEvent)
        except msgspec.DecodeError as exc:
            raise ServiceError("invalid_event", f"Not a trainer event: {exc}.",
                               "Send one event of proto.training.TrainerEvent.") from exc
        if event.job_id != job_id:
            raise ServiceError("job_mismatch", "The event names another job than the URL.",
                               "Post each event to its own job's webhook URL.")
        if not bus.connected():  # NATS is down: say so now, not after the publish's timeout
            log.warning("trainer event %s for job %s not published: the bus is not connected",
                        event.event_id, job_id)
            raise bus_unavailable()
        if not RECENT.first_time(event.event_id):
            log.info("replayed trainer event %s for job %s ignored", event.event_id, job_id)
            return {"status": "duplicate"}
        try:
            await bus.report_trainer_event(event)
        except Exception as exc:  # the bus is down or restarting (a NATS restart, say)
            RECENT.forget(event.event_id)
            log.warning("trainer event %s for job %s not published: %r", event.event_id,
                        job_id, exc)
            raise bus_unavailable() from exc
        return {"status": "accepted"}


def bus_unavailable() -> ServiceError:
    """A 503: the trainer keeps the event and posts it again (a 4xx it would drop)."""
    return ServiceError("bus_unavailable", "The event could not be passed on to the services "
                        "right now.", "Post it again shortly; the trainer retries on its own.",
                        status=503)
