"""Share-link handlers (UJ5.3.2): create, list with views, revoke, and open as a visitor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.reports import (
    CreateShare,
    ListShares,
    OpenedShare,
    OpenShare,
    RevokeShare,
    ShareCreated,
    ShareInfo,
    ShareRecipient,
    ShareRevoked,
    ShareView,
    ShareViewed,
)
from services.packaging import shares
from services.packaging.report.render import PDF_URL_PLACEHOLDER
from services.packaging.report.repository import Reports
from services.packaging.shares_repository import Shares

Clock = Callable[[], datetime]


class ShareContext(msgspec.Struct, frozen=True, kw_only=True):
    secret: str  # the server secret tokens are signed with
    base_url: str  # where the gateway serves /share/{token}


def _not_ready(job_id: uuid.UUID) -> ServiceError:
    return ServiceError(
        "report_not_ready", "There is no report to share yet.",
        f"Generate it first (POST /api/v1/jobs/{job_id}/report) and share once it is ready.",
        {"job_id": str(job_id)}, 409)


async def create_share(cmd: CreateShare, uow: UnitOfWork, ctx: ShareContext, clock: Clock
                       ) -> ShareInfo:
    now = clock()
    expires_at = shares.expiry(now, cmd.expires_in_days)  # 422 past 30 days
    share_id = uuid.uuid4()

    def url(recipient: int) -> str:
        claims = shares.TokenClaims(share_id, expires_at, recipient)
        return shares.share_url(ctx.base_url, shares.make_token(ctx.secret, claims))

    recipients = [ShareRecipient(email=e, url=url(i)) for i, e in enumerate(cmd.recipients)]
    async with uow() as work:
        report = await Reports(work.conn).version(cmd.job_id, None)
        if report is None:
            raise _not_ready(cmd.job_id)
        row = {"id": share_id, "job_id": cmd.job_id, "job_name": report["job_name"],
               "created_at": now, "expires_at": expires_at, "slack": cmd.slack,
               "recipients": msgspec.to_builtins(recipients)}
        await Shares(work.conn).add(row)
        work.emit(ShareCreated(
            share_id=share_id, job_id=cmd.job_id, job_name=report["job_name"],
            url=url(shares.PUBLIC), expires_at=expires_at, recipients=recipients,
            slack=cmd.slack, summary=report["summary"]))
    return _info({**row, "revoked_at": None}, [], ctx, now)


def _info(row: dict[str, Any], views: list[dict[str, Any]], ctx: ShareContext,
          now: datetime) -> ShareInfo:
    public = shares.make_token(ctx.secret, shares.TokenClaims(row["id"], row["expires_at"]))
    seen = [ShareView(at=v["at"], recipient=v["recipient"], address_hash=v["address_hash"],
                      what=v["what"]) for v in views]
    return ShareInfo(
        id=row["id"], job_id=row["job_id"], url=shares.share_url(ctx.base_url, public),
        created_at=row["created_at"], expires_at=row["expires_at"], revoked_at=row["revoked_at"],
        recipients=msgspec.convert(row["recipients"], list[ShareRecipient]), slack=row["slack"],
        status=shares.status(row["expires_at"], row["revoked_at"], now),
        view_count=len(seen), first_viewed_at=seen[0].at if seen else None,
        last_viewed_at=seen[-1].at if seen else None, views=seen)


async def list_shares(q: ListShares, uow: UnitOfWork, ctx: ShareContext, clock: Clock
                      ) -> list[ShareInfo]:
    async with uow(snapshot=True) as work:
        repo = Shares(work.conn)
        rows = await repo.of_job(q.job_id)
        views = await repo.views([r["id"] for r in rows])
    now = clock()
    return [_info(r, [v for v in views if v["share_id"] == r["id"]], ctx, now) for r in rows]


async def revoke_share(cmd: RevokeShare, uow: UnitOfWork, ctx: ShareContext, clock: Clock
                       ) -> ShareInfo:
    async with uow() as work:
        repo = Shares(work.conn)
        row = await repo.get(cmd.share_id)
        if row is None or row["job_id"] != cmd.job_id:
            raise ServiceError.not_found("share", cmd.share_id)
        if await repo.revoke(cmd.share_id, clock()):
            work.emit(ShareRevoked(share_id=cmd.share_id, job_id=cmd.job_id))
    [info] = [s for s in await list_shares(ListShares(job_id=cmd.job_id), uow, ctx, clock)
              if s.id == cmd.share_id]
    return info


async def open_share(q: OpenShare, uow: UnitOfWork, ctx: ShareContext, store: ObjectStore,
                     clock: Clock) -> OpenedShare:
    """Check the link, count the view, answer the dashboard and where its PDF is."""
    claims = shares.read_token(ctx.secret, q.token)  # 403 when tampered
    now = clock()
    shares.check_open(claims.expires_at, None, now)  # the token's own expiry, then the row's
    async with uow() as work:
        repo = Shares(work.conn)
        row = await repo.get(claims.share_id)
        if row is None:  # signed by us, then deleted: as good as revoked
            raise ServiceError("share_link_revoked", "This share link no longer exists.",
                               "Ask the person who shared it for a new link.", {}, 410)
        shares.check_open(row["expires_at"], row["revoked_at"], now)
        report = await Reports(work.conn).version(row["job_id"], None)
        if report is None:
            raise _not_ready(row["job_id"])
        recipients = row["recipients"]
        who = recipients[claims.recipient]["email"] if 0 <= claims.recipient < len(recipients) \
            else None
        if await repo.add_view(row["id"], now, who, shares.address_hash(ctx.secret, q.address),
                               q.what):
            work.emit(ShareViewed(share_id=row["id"], job_id=row["job_id"],
                                  job_name=row["job_name"], recipient=who, viewed_at=now))
    page = store.get_bytes(report["dashboard_key"]).decode()
    return OpenedShare(
        share_id=row["id"], job_id=row["job_id"], version=report["version"],
        dashboard_html=page.replace(PDF_URL_PLACEHOLDER, f"/share/{q.token}/report.pdf"),
        pdf_key=report["pdf_key"],
        filename=f"{_slug(row['job_name'])}-validation-report-v{report['version']}.pdf")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "job"
