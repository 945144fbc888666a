"""The report's and share links' part of the packaging service: its RPCs and its worker.

`register` is called from services/packaging/app.py's `build`; tests call it with their own
clock to see a link expire without waiting 30 days.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from libs.common.bus import call, durable_each, rpc
from libs.common.polling import drain_forever
from libs.common.runtime import ServiceRuntime
from libs.common.storage import open_store
from proto.base import utcnow
from proto.reports import CreateShare, GetReport, ListShares, OpenShare, RequestReport, RevokeShare
from proto.validation import ValidationCompleted
from services.packaging import shares_handlers
from services.packaging.report import handlers
from services.packaging.shares_handlers import ShareContext

RENDER_LIMIT_S = 30.0  # UJ5.3.1: "PDF is ready for download in <30 seconds"
OPTIONAL_SOURCE_TIMEOUT_S = 5.0
REGENERATE_CONSUMER = "packaging-on-validation-completed-report"


def register(runtime: ServiceRuntime, clock: Callable[[], datetime] = utcnow,
             render_limit_s: float = RENDER_LIMIT_S) -> None:
    broker, uow, settings = runtime.broker, runtime.uow, runtime.settings
    store = open_store(settings.resolved_storage_url)
    ctx = ShareContext(secret=settings.webhook_secret, base_url=settings.gateway_url)
    wake = asyncio.Event()

    async def ask(request: Any) -> Any:
        return await call(broker, request, timeout_s=settings.rpc_timeout_s)

    async def ask_optional(request: Any) -> Any:
        # Validation, metrics, cost: a report is made without them (their sections say so).
        return await call(broker, request, timeout_s=OPTIONAL_SOURCE_TIMEOUT_S,
                          wait_for_service=False)

    @rpc(broker, RequestReport)
    async def request_report(cmd: RequestReport):
        view = await handlers.request_report(cmd, uow, ask, ask_optional, clock)
        wake.set()
        return view

    @rpc(broker, GetReport)
    async def get_report(q: GetReport):
        return await handlers.get_report(q, uow)

    @rpc(broker, CreateShare)
    async def create_share(cmd: CreateShare):
        return await shares_handlers.create_share(cmd, uow, ctx, clock)

    @rpc(broker, ListShares)
    async def list_shares(q: ListShares):
        return await shares_handlers.list_shares(q, uow, ctx, clock)

    @rpc(broker, RevokeShare)
    async def revoke_share(cmd: RevokeShare):
        return await shares_handlers.revoke_share(cmd, uow, ctx, clock)

    @rpc(broker, OpenShare)
    async def open_share(q: OpenShare):
        return await shares_handlers.open_share(q, uow, ctx, store, clock)

    async def on_validation_completed(event: ValidationCompleted) -> None:
        if await handlers.on_validation_completed(event, REGENERATE_CONSUMER, uow, clock):
            wake.set()

    durable_each(broker, [ValidationCompleted], lambda _: REGENERATE_CONSUMER,
                 on_validation_completed)

    async def report_worker() -> None:
        async def once() -> int:
            return await handlers.generate_next(uow, ask, ask_optional, store, clock,
                                                 render_limit_s)

        await drain_forever(once, wake, 2.0, "report worker")

    runtime.background(report_worker)
