"""Wiring of the artifacts half of the packaging service (UJ6.1–6.2): build triggers, the
builder loop, download counts, and the artifact/instruction queries."""

from __future__ import annotations

import asyncio

from faststream.nats import NatsMessage

from libs.common.bus import durable, rpc
from libs.common.polling import drain_forever
from libs.common.runtime import ServiceRuntime
from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import JobStatusChanged
from proto.packaging import ArtifactDownloaded, GetDeploymentInstructions, ListArtifacts
from proto.validation import ValidationCompleted
from services.packaging import handlers

POLL_S = 5.0  # the builder also looks for work this often (a claim that lapsed, a retry due)


def register(runtime: ServiceRuntime) -> None:
    broker, uow, settings = runtime.broker, runtime.uow, runtime.settings
    store = open_store(settings.resolved_storage_url)
    wake = asyncio.Event()
    timeout_s = settings.rpc_timeout_s

    @durable(broker, JobStatusChanged.subject, "packaging-on-job-status-changed")
    async def on_job_status_changed(msg: NatsMessage) -> None:
        if await handlers.on_job_status(decode(msg.body, JobStatusChanged), uow):
            wake.set()

    @durable(broker, ValidationCompleted.subject, "packaging-on-validation-completed")
    async def on_validation_completed(msg: NatsMessage) -> None:
        if await handlers.on_validation_completed(decode(msg.body, handlers.ValidationDone), uow):
            wake.set()

    @durable(broker, ArtifactDownloaded.subject, "packaging-on-artifact-downloaded")
    async def on_artifact_downloaded(msg: NatsMessage) -> None:
        await handlers.on_downloaded(decode(msg.body, ArtifactDownloaded), uow)

    @runtime.background
    async def artifact_builder() -> None:
        await drain_forever(lambda: handlers.build_next(uow, broker, store, timeout_s), wake,
                            POLL_S, "artifact builder")

    @rpc(broker, ListArtifacts)
    async def list_artifacts(q: ListArtifacts):
        return await handlers.list_artifacts(q, uow, broker, timeout_s)

    @rpc(broker, GetDeploymentInstructions)
    async def deployment_instructions(q: GetDeploymentInstructions):
        return await handlers.deployment_instructions(q, broker, timeout_s)
