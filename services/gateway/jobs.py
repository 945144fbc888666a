"""Jobs: create, list, detail (with live progress), events, metrics, cancel, adapter download."""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.jobs import (
    CancelJob,
    CreateJob,
    FaultInjection,
    GetJob,
    HyperparameterOverrides,
    JobDetail,
    JobView,
    ListJobs,
    Tag,
)
from proto.monitoring import (
    EventLogPage,
    GetEventLog,
    GetMetrics,
    GetProgress,
    MetricsView,
    ProgressView,
)
from proto.training import ModelRef
from proto.validation import ValidationPlan
from services.gateway.bus import GatewayBus
from services.gateway.templates import with_template


class CreateJobBody(msgspec.Struct, frozen=True, kw_only=True):
    # The training data: an uploaded file, or a training set combining several (issue 17).
    training_file_id: uuid.UUID | None = None
    training_set_id: uuid.UUID | None = None
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    name: str | None = None
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    tags: list[Tag] = msgspec.field(default_factory=list)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1  # several GPUs of gpu_type
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    fault_injection: FaultInjection | None = None  # local provider: simulated spot reclaims
    # UJ6.4.2: start from a saved template; the fields given here explicitly override it.
    template_id: uuid.UUID | None = None
    # Stage 5: which suites the trainer measures after training; left out, all four;
    # {"suites": []} turns validation off.
    validation: ValidationPlan | None = None


async def create_job(bus: GatewayBus, data: CreateJobBody) -> JobView:
    """Every way in to a new job (this API, /v1) goes here. The jobs service estimates it (cost
    service), reserves its budget and creates it in one step (services/jobs/creation.py)."""
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if k != "template_id"}
    return await bus.ask(CreateJob(**fields), JobView)


class CancelBody(msgspec.Struct, frozen=True, kw_only=True):
    reason: str = "cancelled by user"


class JobsController(Controller):
    path = "/jobs"
    tags = ["jobs"]

    @post("/", status_code=201)
    async def create(self, data: CreateJobBody, bus: NamedDependency[GatewayBus],
                     request: Request) -> JobView:
        """Start a training job; the estimate shown to the user is stored with it."""
        if data.template_id is not None:
            data = await with_template(bus, data, request)
        return await create_job(bus, data)

    @get("/")
    async def list_jobs(self, bus: NamedDependency[GatewayBus], status: str | None = None,
                        limit: int = 100) -> list[JobView]:
        return await bus.ask(ListJobs(status=status, limit=min(max(limit, 1), 500)), list[JobView])

    @get("/{job_id:uuid}")
    async def get_job(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> JobDetail:
        """The job with its progress: step, percent, elapsed and remaining time."""
        job, progress = await asyncio.gather(bus.ask(GetJob(job_id=job_id), JobView),
                                             bus.ask(GetProgress(job_id=job_id), ProgressView))
        return JobDetail(**msgspec.structs.asdict(job), progress=progress)

    @get("/{job_id:uuid}/events")
    async def events(
        self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
        category: Annotated[list[str] | None, Parameter(query="type")] = None,
        q: str = "", page: int = 1, per_page: int = 50,
    ) -> EventLogPage:
        """UJ3.3.2 event log: chronological, filter by type, keyword search, 50 a page."""
        await bus.ask(GetJob(job_id=job_id))
        per_page = min(max(per_page, 1), 500)
        return await bus.ask(GetEventLog(job_id=job_id, kinds=category or [], q=q,
                                         offset=(max(page, 1) - 1) * per_page, limit=per_page),
                             EventLogPage)

    @get("/{job_id:uuid}/metrics")
    async def metrics(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> MetricsView:
        await bus.ask(GetJob(job_id=job_id))
        return await bus.ask(GetMetrics(job_id=job_id), MetricsView)

    @post("/{job_id:uuid}/cancel", status_code=200)
    async def cancel(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                     data: CancelBody | None = None) -> JobView:
        reason = (data or CancelBody()).reason
        return await bus.ask(CancelJob(job_id=job_id, reason=reason), JobView)

    @get("/{job_id:uuid}/artifacts/adapter", media_type="application/zip")
    async def adapter(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus], store: NamedDependency[ObjectStore]) -> Response:
        """The LoRA adapter in the standard PEFT layout, zipped."""
        job = await bus.ask(GetJob(job_id=job_id))
        if job["status"] != "completed" or not job["adapter_key"]:
            raise ServiceError("adapter_not_ready", f"Job {job['name']!r} is {job['status']}; "
                               "the adapter exists once training has completed.",
                               "Wait for the job to complete, then download again.",
                               {"status": job["status"]}, 409)
        data = await asyncio.to_thread(_zip_prefix, store, job["adapter_key"])
        filename = f"{job['name']}-adapter.zip".replace(" ", "_").replace("/", "_")
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _zip_prefix(store: ObjectStore, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in store.list(prefix.rstrip("/") + "/"):
            archive.writestr(key[len(prefix.rstrip("/")) + 1:], store.get_bytes(key))
    return buffer.getvalue()
