"""Report handlers: start a version, answer its status, and render waiting versions.

The request is one transaction: a 'generating' row and the ReportRequested event. The worker
pass claims the oldest waiting version, gathers its data, renders it outside any transaction,
stores the PDF, preview and share dashboard, then records the outcome with ReportReady or
ReportFailed. A worker that dies mid-render leaves a claim that times out and is taken over.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.jobs import GetJob
from proto.reports import (
    GetReport,
    ReportFailed,
    ReportReady,
    ReportRequested,
    ReportVersion,
    ReportView,
    RequestReport,
)
from proto.validation import GetValidation, ValidationCompleted
from services.packaging.report import summary
from services.packaging.report.data import assemble
from services.packaging.report.render import render
from services.packaging.report.repository import Reports
from services.packaging.report.validation import from_answer

log = logging.getLogger(__name__)
Ask = Callable[[Any], Awaitable[Any]]
Clock = Callable[[], datetime]


def keys(job_id: uuid.UUID, version: int) -> dict[str, str]:
    prefix = f"jobs/{job_id}/report/v{version:04d}"
    return {"pdf_key": f"{prefix}/report.pdf", "html_key": f"{prefix}/report.html",
            "dashboard_key": f"{prefix}/dashboard.html"}


async def request_report(cmd: RequestReport, uow: UnitOfWork, ask: Ask, ask_optional: Ask,
                         clock: Clock) -> ReportView:
    job = await ask(GetJob(job_id=cmd.job_id))  # a 404 names the job
    try:
        validation = from_answer(await ask_optional(GetValidation(job_id=cmd.job_id)))
    except ServiceError as exc:
        if exc.error.status >= 500 or exc.error.status == 404:  # absent: suites "not run"
            validation = from_answer(None)
        else:
            raise
    summary.check_can_generate(job["status"], validation, cmd.partial)
    async with uow() as work:
        version = await Reports(work.conn).add_version(cmd.job_id, cmd.partial, clock())
        work.emit(ReportRequested(job_id=cmd.job_id, version=version, partial=cmd.partial))
    return await get_report(GetReport(job_id=cmd.job_id), uow)


async def on_validation_completed(event: ValidationCompleted, consumer: str, uow: UnitOfWork,
                                  clock: Clock) -> bool:
    """A re-run of validation makes a new version of a report the job already has (the old
    ones stay); a job nobody asked a report for gets none. True when a version was added."""
    async with uow() as work:
        if not await work.first_time(consumer, event.event_id):
            return False
        reports = Reports(work.conn)
        if not await reports.versions(event.job_id):
            return False
        version = await reports.add_version(event.job_id, False, clock())
        work.emit(ReportRequested(job_id=event.job_id, version=version))
    return True


async def get_report(q: GetReport, uow: UnitOfWork) -> ReportView:
    async with uow() as work:
        rows = await Reports(work.conn).versions(q.job_id)
    versions = [msgspec.convert(r, ReportVersion) for r in rows]
    ready = [r for r in rows if r["status"] == "ready"]
    return ReportView(job_id=q.job_id, status=rows[0]["status"] if rows else "none",
                      latest_ready=ready[0]["version"] if ready else None,
                      summary=ready[0]["summary"] if ready else "", versions=versions)


async def generate_next(uow: UnitOfWork, ask: Ask, ask_optional: Ask, store: ObjectStore,
                        clock: Clock, limit_s: float = 30.0) -> int:
    """Render one waiting version; 0 when none waits (the worker loop's drain step)."""
    async with uow() as work:
        row = await Reports(work.conn).claim(clock())
    if row is None:
        return 0
    job_id, version = row["job_id"], row["version"]
    try:
        data = await assemble(ask, ask_optional, job_id, version, clock(), partial=row["partial"])
        rendered = await render(data, limit_s)
    except Exception as exc:
        log.exception("report %s v%s failed", job_id, version)
        reason = exc.error.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        async with uow() as work:
            if await Reports(work.conn).finish(job_id, version, {"status": "failed", "message": reason}):
                work.emit(ReportFailed(job_id=job_id, version=version, reason=reason))
        return 1
    where = keys(job_id, version)
    store.put_bytes(where["html_key"], rendered.html.encode())
    store.put_bytes(where["dashboard_key"], rendered.dashboard_html.encode())
    store.put_bytes(where["pdf_key"], rendered.pdf)  # last: a stored PDF means a full set
    await _record_ready(uow, data, rendered, where, clock())
    return 1


async def _record_ready(uow: UnitOfWork, data: Any, rendered: Any, where: dict[str, str],
                        now: datetime) -> None:
    fields = {**where, "status": "ready", "ready_at": now, "size_bytes": len(rendered.pdf),
              "pages": rendered.pages, "generation_s": round(rendered.seconds, 3),
              "simplified": rendered.simplified, "job_name": data.job.name,
              "summary": summary.summary_text(data),
              "message": f"sha256 {hashlib.sha256(rendered.pdf).hexdigest()}"}
    async with uow() as work:
        if await Reports(work.conn).finish(data.job.id, data.version, fields):
            work.emit(ReportReady(
                job_id=data.job.id, version=data.version, job_name=data.job.name,
                pdf_key=where["pdf_key"], size_bytes=len(rendered.pdf), pages=rendered.pages,
                generation_s=round(rendered.seconds, 3), simplified=rendered.simplified))
