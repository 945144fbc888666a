"""Run comparison (UJ6.4.1): 2 to 4 jobs side by side, and the same as a PDF. The packaging
service decides everything (services/packaging/comparison.py); this translates HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from libs.common.storage import ObjectStore
from proto.comparisons import CompareJobs, Comparison, ComparisonView, ExportComparison
from services.gateway.bus import GatewayBus


class ComparisonBody(msgspec.Struct, frozen=True, kw_only=True):
    job_ids: list[uuid.UUID]  # 2 to 4: the packaging service answers 422 with how to fix


def pdf_url(job_ids: list[uuid.UUID]) -> str:
    return "/api/v1/comparisons/export.pdf?" + urlencode([("job_id", str(j)) for j in job_ids])


class ComparisonsController(Controller):
    path = "/comparisons"
    tags = ["comparisons"]

    @post("/", status_code=200)
    async def compare(self, data: ComparisonBody, bus: NamedDependency[GatewayBus]
                      ) -> ComparisonView:
        """Overlaid loss curves, the metrics table, the configuration differences, the winner by
        quality per dollar with its rule, and a warning when the jobs are not comparable."""
        result = await bus.ask(CompareJobs(job_ids=data.job_ids), Comparison)
        return ComparisonView(**msgspec.structs.asdict(result), pdf_url=pdf_url(data.job_ids))

    @get("/export.pdf", media_type="application/pdf")
    async def export_pdf(
        self, bus: NamedDependency[GatewayBus], store: NamedDependency[ObjectStore],
        job_ids: Annotated[list[uuid.UUID], Parameter(query="job_id")],
    ) -> Response:
        """The same comparison as a PDF: `?job_id=…&job_id=…`."""
        built = await bus.ask(ExportComparison(job_ids=job_ids))
        data = await asyncio.to_thread(store.get_bytes, built["key"])
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{built["filename"]}"'})
