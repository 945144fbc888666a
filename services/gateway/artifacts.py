"""A job's artifacts (UJ6.1.1, UJ6.2.1–6.2.2) and its metrics export (UJ6.1.2).

The packaging service says what exists and when the rest will; this module streams files from
storage, signs links (services/gateway/downloads.py) and pages the metrics out of monitoring.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Stream

from libs.common.settings import Settings
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.monitoring import GetMetricsPage, MetricsPage, MetricsRow
from proto.packaging import (
    ArtifactsView,
    ArtifactView,
    DeploymentInstructions,
    DownloadLink,
    GetDeploymentInstructions,
    ListArtifacts,
)
from services.gateway.bus import GatewayBus
from services.gateway.downloads import DownloadLinks, Grant, count_download, stream_object

COLUMNS = ("step", "epoch", "training_loss", "validation_loss", "learning_rate", "perplexity",
           "gpu_utilization_pct", "gpu_memory_bytes", "timestamp")
PAGE_ROWS = 5000


async def ready_artifact(bus: GatewayBus, job_id: uuid.UUID, kind: str) -> ArtifactView:
    """The artifact if it is built; a 409 saying when it will be if not."""
    view = await bus.ask(ListArtifacts(job_id=job_id), ArtifactsView)
    artifact = next(a for a in view.artifacts if a.kind == kind)
    if artifact.status != "ready" or not artifact.key:
        raise ServiceError(
            "artifact_not_ready", f"The {kind.replace('-', ' ')} of this job is "
            f"{artifact.status}. {artifact.message}".strip(),
            "Wait for the job to complete (and validation to finish), then download again; the "
            "job page shows when it is ready.",
            {"status": artifact.status, "job_status": view.job_status}, 409)
    return artifact


class ArtifactsController(Controller):
    path = "/jobs"
    tags = ["artifacts"]

    @get("/{job_id:uuid}/artifacts")
    async def list_artifacts(self, job_id: uuid.UUID,
                             bus: NamedDependency[GatewayBus]) -> ArtifactsView:
        """Each artifact with its status: ready (size, sha256, downloads), building, pending
        (and when it will be built) or failed."""
        return await bus.ask(ListArtifacts(job_id=job_id), ArtifactsView)

    @get("/{job_id:uuid}/artifacts/adapter-bundle", media_type="application/zip")
    async def adapter_bundle(self, job_id: uuid.UUID, request: Request,
                             bus: NamedDependency[GatewayBus],
                             store: NamedDependency[ObjectStore]) -> Stream:
        return await self._download(job_id, "adapter-bundle", request, bus, store)

    @get("/{job_id:uuid}/artifacts/deployment-package", media_type="application/zip")
    async def deployment_package(self, job_id: uuid.UUID, request: Request,
                                 bus: NamedDependency[GatewayBus],
                                 store: NamedDependency[ObjectStore]) -> Stream:
        return await self._download(job_id, "deployment-package", request, bus, store)

    async def _download(self, job_id: uuid.UUID, kind: str, request: Request, bus: GatewayBus,
                        store: ObjectStore) -> Stream:
        a = await ready_artifact(bus, job_id, kind)
        grant = Grant(job_id=job_id, kind=kind, key=a.key, filename=a.filename)
        response = stream_object(store, a.key, a.filename, request.headers.get("range"))
        await count_download(bus, grant, request.headers.get("range"))
        return response

    # Spelled out per kind: a `{kind}` segment here would lose to the static download routes
    # above in the router's trie, and answer 404.
    @post("/{job_id:uuid}/artifacts/adapter-bundle/link", status_code=201)
    async def adapter_bundle_link(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                                  settings: NamedDependency[Settings]) -> DownloadLink:
        """A signed download link for the adapter bundle, valid 24 hours."""
        return await signed_link(job_id, "adapter-bundle", bus, settings)

    @post("/{job_id:uuid}/artifacts/deployment-package/link", status_code=201)
    async def deployment_package_link(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                                      settings: NamedDependency[Settings]) -> DownloadLink:
        """A signed download link for the deployment package, valid 24 hours."""
        return await signed_link(job_id, "deployment-package", bus, settings)

    @get("/{job_id:uuid}/deployment-instructions")
    async def instructions(self, job_id: uuid.UUID,
                           bus: NamedDependency[GatewayBus]) -> DeploymentInstructions:
        """UJ6.2.2: the deployment README's sections, one per tab."""
        return await bus.ask(GetDeploymentInstructions(job_id=job_id), DeploymentInstructions)

    @get("/{job_id:uuid}/metrics.csv", media_type="text/csv")
    async def metrics_csv(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> Stream:
        pages = await first_page(bus, job_id)
        return Stream(csv_chunks(pages), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="metrics-{job_id}.csv"'})

    @get("/{job_id:uuid}/metrics.json", media_type="application/json")
    async def metrics_json(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> Stream:
        pages = await first_page(bus, job_id)
        return Stream(json_chunks(job_id, pages), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="metrics-{job_id}.json"'})


async def signed_link(job_id: uuid.UUID, kind: str, bus: GatewayBus,
                      settings: Settings) -> DownloadLink:
    """A link that needs no other credential: the artifact's key and name, signed."""
    a = await ready_artifact(bus, job_id, kind)
    token, expires_at = DownloadLinks(settings.webhook_secret).issue(
        Grant(job_id=job_id, kind=kind, key=a.key, filename=a.filename))
    return DownloadLink(url=f"/api/v1/downloads/{token}", expires_at=expires_at, kind=a.kind,
                        filename=a.filename, size_bytes=a.size_bytes, sha256=a.sha256)


async def first_page(bus: GatewayBus, job_id: uuid.UUID) -> AsyncIterator[list[MetricsRow]]:
    """Ask for the first page before the response starts, so an unknown job is a 404 and not
    a broken stream; the rest follow as the client reads."""
    page = msgspec.convert(await bus.ask(GetMetricsPage(job_id=job_id, limit=PAGE_ROWS)),
                           MetricsPage)
    return metric_pages(bus, job_id, page)


async def metric_pages(bus: GatewayBus, job_id: uuid.UUID,
                       page: MetricsPage) -> AsyncIterator[list[MetricsRow]]:
    while True:
        yield page.rows
        if page.next_after_step is None:
            return
        page = msgspec.convert(await bus.ask(GetMetricsPage(
            job_id=job_id, after_step=page.next_after_step, limit=PAGE_ROWS)), MetricsPage)


def _values(r: MetricsRow) -> tuple[Any, ...]:
    return (r.step, r.epoch, r.train_loss, r.val_loss, r.learning_rate, r.perplexity,
            r.gpu_utilisation_pct, r.gpu_memory_bytes, r.at.isoformat())


async def csv_chunks(pages: AsyncIterator[list[MetricsRow]]) -> AsyncIterator[bytes]:
    """One chunk per page; empty cells where a step has no such figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    async for rows in pages:
        writer.writerows(_values(r) for r in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


async def json_chunks(job_id: uuid.UUID,
                      pages: AsyncIterator[list[MetricsRow]]) -> AsyncIterator[bytes]:
    """`{"job_id", "columns", "metrics": [{column: value}, ...]}`, written page by page."""
    encoder = msgspec.json.Encoder()
    yield b'{"job_id":"%s","columns":%s,"metrics":[' % (str(job_id).encode(),
                                                         encoder.encode(COLUMNS))
    first = True
    async for rows in pages:
        if rows:
            body = b",".join(encoder.encode(dict(zip(COLUMNS, _values(r), strict=True)))
                             for r in rows)
            yield (b"" if first else b",") + body
            first = False
    yield b"]}\n"
