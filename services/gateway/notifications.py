"""Notifications: preferences, the in-app list and its acknowledgement, and a live feed
(UJ5.1.2). The notification service owns all of it; this asks it over the bus."""

from __future__ import annotations

import uuid

from faststream.nats import NatsMessage
from litestar import Controller, WebSocket, get, post, put, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromQuery

from proto.base import decode, to_builtins
from proto.notification import (
    AcknowledgeNotification,
    Channel,
    DeliveryStatus,
    GetNotificationPreferences,
    ListNotifications,
    NotificationCreated,
    NotificationPreferences,
    NotificationView,
    PreferencesView,
    SetNotificationPreferences,
)
from services.gateway.bus import GatewayBus
from services.gateway.live import _stream

NOTIFICATIONS_CHANNEL = "notifications"


def feed_in_app(bus: GatewayBus) -> None:
    """Push each new in-app notification to `/notifications/live` (call before the bus starts)."""

    @bus.broker.subscriber(NotificationCreated.subject, no_reply=True)
    async def on_created(msg: NatsMessage) -> None:
        event = decode(msg.body, NotificationCreated)
        bus.channels.publish({"type": "notification", "data": to_builtins(event)},
                             [NOTIFICATIONS_CHANNEL])


class NotificationsController(Controller):
    path = "/"
    tags = ["notifications"]

    @get("/notification-preferences")
    async def get_preferences(self, bus: NamedDependency[GatewayBus],
                              job_id: FromQuery[uuid.UUID | None] = None) -> PreferencesView:
        """The user's preferences, and with `job_id` that job's overrides and what applies."""
        return await bus.ask(GetNotificationPreferences(job_id=job_id), PreferencesView)

    @put("/notification-preferences")
    async def put_preferences(self, data: NotificationPreferences,
                              bus: NamedDependency[GatewayBus],
                              job_id: FromQuery[uuid.UUID | None] = None) -> PreferencesView:
        """Replace the user's preferences, or with `job_id` one job's (null fields inherit)."""
        return await bus.ask(SetNotificationPreferences(job_id=job_id, preferences=data),
                             PreferencesView)

    @get("/notifications")
    async def list_notifications(
        self, bus: NamedDependency[GatewayBus], channel: FromQuery[Channel | None] = None,
        status: FromQuery[DeliveryStatus | None] = None,
        job_id: FromQuery[uuid.UUID | None] = None,
        unacknowledged_only: FromQuery[bool] = False, limit: FromQuery[int] = 100,
    ) -> list[NotificationView]:
        """Newest first: every channel's delivery, with its status, attempts and last error."""
        return await bus.ask(ListNotifications(
            channel=channel, status=status, job_id=job_id,
            unacknowledged_only=unacknowledged_only, limit=limit), list[NotificationView])

    @post("/notifications/{notification_id:uuid}/ack", status_code=200)
    async def acknowledge(self, notification_id: uuid.UUID,
                          bus: NamedDependency[GatewayBus]) -> NotificationView:
        return await bus.ask(AcknowledgeNotification(notification_id=notification_id),
                             NotificationView)


@websocket("/notifications/live")
async def notifications_live(socket: WebSocket, channels: NamedDependency[ChannelsPlugin]) -> None:
    """Each in-app notification as it is created: `{"type": "notification", "data": {...}}`."""
    await socket.accept()
    await _stream(socket, channels, NOTIFICATIONS_CHANNEL)

