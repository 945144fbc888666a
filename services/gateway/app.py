"""Gateway wiring: the REST API under /api/v1, websockets, trainer webhooks and the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Response, Router, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.response import File
from litestar.static_files import create_static_files_router

from libs.common.logging import configure
from libs.common.settings import Settings
from libs.common.storage import open_store
from services.gateway.access import (
    API_KEY,
    OPENAPI_COMPONENTS,
    Access,
    Denied,
    on_denied,
    require_api_key,
)
from services.gateway.artifacts import ArtifactsController
from services.gateway.bus import GatewayBus
from services.gateway.comparisons import ComparisonsController
from services.gateway.costs import CostsController
from services.gateway.downloads import DownloadsController
from services.gateway.errors import EXCEPTION_HANDLERS
from services.gateway.estimates import EstimatesController
from services.gateway.gpu_choices import GpuChoicesController
from services.gateway.gpu_types import GpuTypesController
from services.gateway.job_recovery import JobRecoveryController
from services.gateway.job_storage import JobStorageController
from services.gateway.jobs import JobsController
from services.gateway.live import firehose, job_live
from services.gateway.notifications import NotificationsController, feed_in_app, notifications_live
from services.gateway.nul_guard import refuse_nul_text
from services.gateway.openai_api import openai_router
from services.gateway.reports import ReportsController, SharePagesController
from services.gateway.templates import TemplatesController
from services.gateway.training_files import MAX_UPLOAD_BYTES, TrainingFilesController
from services.gateway.training_sets import TrainingSetsController
from services.gateway.validation import ValidationController, feed_validation
from services.gateway.webhooks import WebhooksController

CONSOLE = Path(__file__).with_name("console")


@get("/", include_in_schema=False)
async def console() -> File:
    # Named explicitly: Litestar 2.x no longer guesses the type from the path, and an
    # octet-stream body makes the browser download the console instead of showing it.
    return File(CONSOLE / "index.html", filename="index.html", media_type="text/html",
                content_disposition_type="inline")


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(bus: NamedDependency[GatewayBus]) -> Response:
    """Ready when the bus is up and every service answers its ping with "pong": a service whose
    background loop keeps failing says why, and an orchestrator can restart it."""
    services = await bus.readiness() if bus.connected() else {}
    ready = bus.connected() and all(answer == "pong" for answer in services.values())
    return Response({"ready": ready, "bus": "connected" if bus.connected() else "disconnected",
                     "services": services}, status_code=200 if ready else 503)


def wire_bus(settings: Settings, channels: ChannelsPlugin) -> GatewayBus:
    """The gateway's bus with every subscription it makes; services/cli/asyncapi reads them from here."""
    bus = GatewayBus(settings, channels)
    feed_in_app(bus)
    feed_validation(bus)
    return bus


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure("gateway", settings.log_level)
    channels = ChannelsPlugin(backend=MemoryChannelsBackend(history=0),
                              arbitrary_channels_allowed=True, subscriber_max_backlog=10_000)
    bus = wire_bus(settings, channels)
    store = open_store(settings.resolved_storage_url)
    access = Access(settings, bus.ask)  # issue 15: the API-key guard's state (access.py)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await bus.start()
        try:
            yield
        finally:
            await bus.stop()

    api = Router(
        path="/api/v1",
        route_handlers=[TrainingFilesController, EstimatesController, JobsController,
                        JobRecoveryController, GpuChoicesController, CostsController, GpuTypesController,
                        WebhooksController, job_live, firehose,
                        NotificationsController, notifications_live,
                        TemplatesController, ComparisonsController,
                        ReportsController, ArtifactsController, DownloadsController,
                        ValidationController, TrainingSetsController, JobStorageController],
        # require_api_key exempts webhooks, signed downloads and job storage itself (access.py)
        guards=[require_api_key, refuse_nul_text],
    )
    # The console's page modules (console/*.js), beside the page that includes them.
    console_files = create_static_files_router(path="/console", directories=[CONSOLE],
                                               include_in_schema=False)
    return Litestar(
        # /share/{token}: public, read-only pages of one job's results (services/gateway/reports.py).
        # /v1: the OpenAI-compatible fine-tuning API, with OpenAI's error shape (openai_api/).
        route_handlers=[api, openai_router(), console, console_files, healthz, readyz,
                        SharePagesController],
        dependencies={
            "bus": Provide(lambda: bus, use_cache=True, sync_to_thread=False),
            "store": Provide(lambda: store, use_cache=True, sync_to_thread=False),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        plugins=[channels],
        lifespan=[lifespan],
        state=State({"access": access}),
        exception_handlers={**EXCEPTION_HANDLERS, Denied: on_denied},
        request_max_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,  # multipart framing on top of 50 MB
        openapi_config=OpenAPIConfig(title="Bright Run API", version="1.0.0", path="/api/v1/schema",
                                     components=OPENAPI_COMPONENTS, security=API_KEY),
    )


def main() -> None:
    import uvicorn

    settings = Settings.from_env()
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_level="warning", ws_ping_interval=20)


if __name__ == "__main__":
    main()
