"""The validation report (UJ5.3.1) and share links (UJ5.3.2), owned by the packaging service.

Events on `packaging.report.*` and `packaging.share.*`; queries and commands under
`rpc.packaging.*`. A report is versioned: each generation is a new version of the job's
report (a re-run of validation, then a new report), and old versions stay downloadable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.base import Message

ReportStatus = Literal["generating", "ready", "failed"]
MAX_SHARE_DAYS = 30  # UJ5.3.2: "view-only, 30-day expiration"
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class ReportRequested(Message, frozen=True, kw_only=True):
    """A version of a job's report was asked for: the packaging service generates it."""

    subject: ClassVar[str] = "packaging.report.requested.v1"
    job_id: uuid.UUID
    version: int
    partial: bool = False  # asked for before validation ended (`?partial=true`)


class ReportReady(Message, frozen=True, kw_only=True):
    """The PDF and its HTML preview are in object storage."""

    subject: ClassVar[str] = "packaging.report.ready.v1"
    job_id: uuid.UUID
    version: int
    job_name: str = ""
    pdf_key: str
    size_bytes: int
    pages: int
    generation_s: float
    simplified: bool = False  # charts left out: the full version ran past its time limit


class ReportFailed(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "packaging.report.failed.v1"
    job_id: uuid.UUID
    version: int
    reason: str


class ShareRecipient(msgspec.Struct, frozen=True, kw_only=True):
    """Each recipient gets a link of their own, so a view says whose link it came through."""

    email: str
    url: str


class ShareCreated(Message, frozen=True, kw_only=True):
    """Notification emails each recipient their link, and posts the public link to Slack."""

    subject: ClassVar[str] = "packaging.share.created.v1"
    share_id: uuid.UUID
    job_id: uuid.UUID
    job_name: str = ""
    url: str  # the public link (no recipient)
    expires_at: datetime
    recipients: list[ShareRecipient] = msgspec.field(default_factory=list)
    slack: bool = False
    summary: str = ""  # the plain-language headline the links are sent with


class ShareViewed(Message, frozen=True, kw_only=True):
    """The first view of a share: the owner hears that the link was opened."""

    subject: ClassVar[str] = "packaging.share.viewed.v1"
    share_id: uuid.UUID
    job_id: uuid.UUID
    job_name: str = ""
    recipient: str | None = None  # None: the public link
    viewed_at: datetime


class ShareRevoked(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "packaging.share.revoked.v1"
    share_id: uuid.UUID
    job_id: uuid.UUID


# --- RPC -----------------------------------------------------------------------------------------


class RequestReport(msgspec.Struct, frozen=True, kw_only=True):
    """Start a new version; 409 `validation_in_progress` before validation ends unless partial."""

    subject: ClassVar[str] = "rpc.packaging.request_report"
    job_id: uuid.UUID
    partial: bool = False


class GetReport(msgspec.Struct, frozen=True, kw_only=True):
    """The job's report: its latest status and every version (newest first)."""

    subject: ClassVar[str] = "rpc.packaging.get_report"
    job_id: uuid.UUID


class ReportVersion(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    status: ReportStatus
    partial: bool
    requested_at: datetime
    ready_at: datetime | None = None
    pdf_key: str | None = None
    html_key: str | None = None
    size_bytes: int | None = None
    pages: int | None = None
    generation_s: float | None = None
    simplified: bool = False
    message: str = ""


class ReportView(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    status: ReportStatus | Literal["none"]  # the newest version's status
    latest_ready: int | None = None
    summary: str = ""  # the "copy summary" text of the newest ready version
    versions: list[ReportVersion] = msgspec.field(default_factory=list)


class CreateShare(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.packaging.create_share"
    job_id: uuid.UUID
    expires_in_days: int = MAX_SHARE_DAYS  # 1..30; over 30 is refused with 422
    recipients: list[Email] = msgspec.field(default_factory=list)
    slack: bool = False


class ListShares(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.packaging.list_shares"
    job_id: uuid.UUID


class RevokeShare(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.packaging.revoke_share"
    job_id: uuid.UUID
    share_id: uuid.UUID


class OpenShare(msgspec.Struct, frozen=True, kw_only=True):
    """An anonymous visitor opened a share link: check the token, count the view, answer what
    the link may show (403 `share_link_invalid`; 410 `share_link_expired` / `share_link_revoked`).
    The address is hashed with a server salt before it is stored; it is never kept."""

    subject: ClassVar[str] = "rpc.packaging.open_share"
    token: str
    address: str = ""
    what: Literal["dashboard", "pdf"] = "dashboard"


class ShareView(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    recipient: str | None  # None: the public link
    address_hash: str
    what: str


class ShareInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    job_id: uuid.UUID
    url: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    recipients: list[ShareRecipient] = msgspec.field(default_factory=list)
    slack: bool = False
    status: Literal["active", "expired", "revoked"] = "active"
    view_count: int = 0
    first_viewed_at: datetime | None = None
    last_viewed_at: datetime | None = None
    views: list[ShareView] = msgspec.field(default_factory=list)


class OpenedShare(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid link shows: the dashboard page (rendered at generation) and where the PDF is."""

    share_id: uuid.UUID
    job_id: uuid.UUID
    version: int
    dashboard_html: str
    pdf_key: str
    filename: str
