"""The validation report (UJ5.3.1) and share links (UJ5.3.2): HTTP in front of the packaging
service, and the public share pages outside /api/v1, which show one job's results read-only.

The share pages answer HTML, errors included (a 403 or 410 page a person can read), carry no
console navigation and no script, and accept only GET: a token opens its dashboard and its PDF.
"""

from __future__ import annotations

import html
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from libs.common.storage import ObjectNotFound, ObjectStore
from proto.api import ServiceError
from proto.jobs import GetJob
from proto.reports import (
    CreateShare,
    GetReport,
    ListShares,
    OpenedShare,
    OpenShare,
    ReportVersion,
    ReportView,
    RequestReport,
    RevokeShare,
    ShareInfo,
)
from services.gateway.bus import GatewayBus

Version = Annotated[int | None, Parameter(ge=1, description="a report version; default: newest ready")]
# The share page shows no script and loads nothing from elsewhere; the token in its URL is not
# sent on as a referrer, and search engines are asked to keep it out of their index.
SHARE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                            "img-src data:; frame-ancestors 'none'",
                 "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow",
                 "Cache-Control": "no-store"}


class ShareBody(msgspec.Struct, frozen=True, kw_only=True):
    expires_in_days: int = 30  # 1..30 (the service answers 422 past 30)
    recipients: list[str] = msgspec.field(default_factory=list)
    slack: bool = False


async def _version(bus: GatewayBus, job_id: uuid.UUID, version: int | None) -> ReportVersion:
    report = await bus.ask(GetReport(job_id=job_id), ReportView)
    wanted = version or report.latest_ready
    found = next((v for v in report.versions if v.version == wanted), None)
    if found is None or found.status != "ready" or not found.pdf_key or not found.html_key:
        raise ServiceError(
            "report_not_ready", f"No ready report{f' version {version}' if version else ''} "
            f"for job {job_id}.",
            f"Generate one with POST /api/v1/jobs/{job_id}/report and wait for it to be ready.",
            {"job_id": str(job_id), "status": report.status}, 404)
    return found


class ReportsController(Controller):
    path = "/jobs/{job_id:uuid}"
    tags = ["reports"]

    @post("/report", status_code=202)
    async def generate(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                       partial: bool = False) -> ReportView:
        """Start a new report version; a ReportReady event (and notification) says when it is
        ready. Before validation ends: 409, unless `?partial=true`."""
        return await bus.ask(RequestReport(job_id=job_id, partial=partial), ReportView)

    @get("/report")
    async def status(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> ReportView:
        """The newest version's status and every version, with the copy-summary text."""
        await bus.ask(GetJob(job_id=job_id))
        return await bus.ask(GetReport(job_id=job_id), ReportView)

    @get("/report.pdf", media_type="application/pdf")
    async def pdf(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                  store: NamedDependency[ObjectStore], version: Version = None) -> Response:
        found = await _version(bus, job_id, version)
        name = f"validation-report-{job_id}-v{found.version}.pdf"
        return Response(store.get_bytes(found.pdf_key), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @get("/report.html", media_type="text/html")
    async def preview(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus],
                      store: NamedDependency[ObjectStore], version: Version = None) -> Response:
        """The PDF's own HTML source, for the in-browser preview."""
        found = await _version(bus, job_id, version)
        return Response(store.get_bytes(found.html_key), media_type="text/html")

    @post("/shares", status_code=201)
    async def share(self, job_id: uuid.UUID, data: ShareBody,
                    bus: NamedDependency[GatewayBus]) -> ShareInfo:
        """A view-only link (at most 30 days), emailed to each recipient and posted to Slack."""
        return await bus.ask(CreateShare(job_id=job_id, **msgspec.structs.asdict(data)), ShareInfo)

    @get("/shares")
    async def shares(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> list[ShareInfo]:
        """The job's share links with their views: when, how many, through whose link."""
        return await bus.ask(ListShares(job_id=job_id), list[ShareInfo])

    @delete("/shares/{share_id:uuid}", status_code=200)
    async def revoke(self, job_id: uuid.UUID, share_id: uuid.UUID,
                     bus: NamedDependency[GatewayBus]) -> ShareInfo:
        return await bus.ask(RevokeShare(job_id=job_id, share_id=share_id), ShareInfo)


# --- The public share pages ----------------------------------------------------------------------


def _page(status: int, title: str, message: str, how_to_fix: str) -> Response:
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title><meta name='robots' content='noindex'></head><body style='font-family:sans-serif;"
            "max-width:560px;margin:60px auto;color:#1d2733'><p style='color:#0f6e6e;font-weight:bold'>"
            f"BRIGHT RUN</p><h1>{html.escape(title)}</h1><p data-testid='share-error'>"
            f"{html.escape(message)}</p><p>{html.escape(how_to_fix)}</p></body></html>")
    return Response(body, status_code=status, media_type="text/html", headers=SHARE_HEADERS)


async def _open(bus: GatewayBus, token: str, request: Request, what: str) -> OpenedShare | Response:
    address = request.client.host if request.client else ""
    try:
        return await bus.ask(OpenShare(token=token, address=address, what=what), OpenedShare)
    except ServiceError as exc:
        titles = {403: "This link is not valid", 410: "This link is no longer available"}
        e = exc.error
        return _page(e.status, titles.get(e.status, "This report cannot be shown"), e.message,
                     e.how_to_fix)


class SharePagesController(Controller):
    path = "/share/{token:str}"
    include_in_schema = False

    @get("/")
    async def dashboard(self, token: str, request: Request,
                        bus: NamedDependency[GatewayBus]) -> Response:
        opened = await _open(bus, token, request, "dashboard")
        if isinstance(opened, Response):
            return opened
        return Response(opened.dashboard_html, media_type="text/html", headers=SHARE_HEADERS)

    @get("/report.pdf")
    async def pdf(self, token: str, request: Request, bus: NamedDependency[GatewayBus],
                  store: NamedDependency[ObjectStore]) -> Response:
        opened = await _open(bus, token, request, "pdf")
        if isinstance(opened, Response):
            return opened
        try:
            data = store.get_bytes(opened.pdf_key)
        except ObjectNotFound:
            return _page(404, "The report file is missing", "The PDF of this report was not found.",
                         "Ask the person who shared it to generate the report again.")
        return Response(data, media_type="application/pdf", headers={
            **SHARE_HEADERS, "Content-Disposition": f'inline; filename="{opened.filename}"'})
