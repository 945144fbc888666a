"""Websockets: one job's live frames, and the console's firehose of every job."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from proto.api import ServiceError
from proto.jobs import GetJob
from proto.monitoring import GetProgress
from services.gateway.bus import FIREHOSE, GatewayBus, job_channel


async def _stream(socket: WebSocket, channels: NamedDependency[ChannelsPlugin], channel: str,
                  before: Callable[[], Awaitable[bool]] | None = None) -> None:
    # Subscribe before anything is read, so no frame falls between a snapshot and the stream.
    async with channels.start_subscription([channel]) as subscriber:
        if before is not None and not await before():
            return
        async with subscriber.run_in_background(socket.send_text):
            try:
                while True:  # the client says nothing; receiving only notices it leaving
                    await socket.receive_data(mode="text")
            except (WebSocketDisconnect, asyncio.CancelledError):
                pass


@websocket("/jobs/{job_id:uuid}/live")
async def job_live(socket: WebSocket, job_id: uuid.UUID, channels: NamedDependency[ChannelsPlugin],
                   bus: NamedDependency[GatewayBus]) -> None:
    """A snapshot first (job and progress), then every stage, progress, metric and event."""
    await socket.accept()

    async def snapshot() -> bool:
        try:
            job, progress = await asyncio.gather(bus.ask(GetJob(job_id=job_id)),
                                                 bus.ask(GetProgress(job_id=job_id)))
        except ServiceError as exc:
            await socket.send_json({"type": "error", "error": exc.error.message})
            await socket.close(code=4404)
            return False
        await socket.send_json({"type": "snapshot", "job_id": str(job_id),
                                "data": {"job": job, "progress": progress}})
        return True

    await _stream(socket, channels, job_channel(job_id), snapshot)


@websocket("/live")
async def firehose(socket: WebSocket, channels: NamedDependency[ChannelsPlugin]) -> None:
    """Every job's frames, for the console."""
    await socket.accept()
    await _stream(socket, channels, FIREHOSE)
