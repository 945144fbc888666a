"""Signed, expiring download links (UJ6.1.1: valid 24 hours) and ranged streaming from storage.

A link's token is itsdangerous-signed with the platform secret and carries what it opens (job,
artifact kind, object key, file name): serving it asks no service, so a download starts at once.
Expired → 410, altered → 403, each saying how to get a good link.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import msgspec
from itsdangerous import BadSignature, SignatureExpired
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Stream

from libs.common.bus import publish_event
from libs.common.settings import Settings
from libs.common.signing import timed_serializer
from libs.common.storage import ObjectNotFound, ObjectStore
from proto.api import ServiceError
from proto.packaging import ArtifactDownloaded
from services.gateway.bus import GatewayBus

LINK_TTL_S = 24 * 3600
SALT = "brightrun-artifact-download"
Clock = Callable[[], float]


class Grant(msgspec.Struct, frozen=True, kw_only=True):
    """What a link opens."""

    job_id: uuid.UUID
    kind: str
    key: str
    filename: str


class DownloadLinks:
    def __init__(self, secret: str, clock: Clock = time.time, ttl_s: int = LINK_TTL_S) -> None:
        self.clock, self.ttl_s = clock, ttl_s
        self.serializer = timed_serializer(secret, SALT, clock)

    def issue(self, grant: Grant) -> tuple[str, datetime]:
        token = self.serializer.dumps(msgspec.to_builtins(grant))
        return token, datetime.fromtimestamp(self.clock() + self.ttl_s, UTC)

    def open(self, token: str) -> Grant:
        try:
            return msgspec.convert(self.serializer.loads(token, max_age=self.ttl_s), Grant)
        except SignatureExpired as exc:
            raise ServiceError(
                "link_expired", "This download link has expired (links are valid for 24 hours).",
                "Open the job's Deploy tab, or POST /api/v1/jobs/{id}/artifacts/{kind}/link, "
                "for a new link.", status=410) from exc
        except (BadSignature, msgspec.ValidationError) as exc:
            raise ServiceError(
                "link_invalid", "This download link is not valid: it was altered or cut short.",
                "Copy the whole link again, or ask for a new one from the job's Deploy tab.",
                status=403) from exc


RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte asked for by a single-range `Range` header; None for the whole file.
    Several ranges are answered whole (allowed by RFC 9110); an unsatisfiable one is a 416."""
    match = RANGE.match((header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ServiceError("range_not_satisfiable", f"Range {header} is outside the file's "
                           f"{size} bytes.", "Ask for bytes between 0 and the file's size.",
                           {"size": size}, 416)
    return start, end


def artifact_missing() -> ServiceError:
    return ServiceError("artifact_missing", "The file is no longer in storage.",
                        "Ask for a new link: the artifact may have been rebuilt.", status=404)


def stream_object(store: ObjectStore, key: str, filename: str | None, range_header: str | None,
                  media_type: str = "application/zip",
                  missing: Callable[[], ServiceError] = artifact_missing) -> Stream:
    """The object, or the asked-for part of it, streamed with the headers a browser needs to
    show progress and resume (`filename` None: no attachment name)."""
    try:
        size = store.size(key)
    except ObjectNotFound as exc:
        raise missing() from exc
    part = byte_range(range_header, size)
    start, end = part or (0, size - 1)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if part:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    chunks: Iterator[bytes] = store.iter_range(key, start, end) if size else iter(())
    return Stream(chunks, status_code=206 if part else 200, media_type=media_type,
                  headers=headers)


async def count_download(bus: GatewayBus, grant: Grant, range_header: str | None) -> None:
    """A download counts once, when its first byte is asked for (resumed ranges do not)."""
    first = m.group(1) if (m := RANGE.match((range_header or "").strip())) else None
    if first in (None, "0"):
        await publish_event(bus.broker, ArtifactDownloaded(job_id=grant.job_id, kind=grant.kind))


class DownloadsController(Controller):
    path = "/downloads"
    tags = ["artifacts"]
    security = [{}]  # no API key (access.EXEMPT): its own token guards it

    @get("/{token:str}", media_type="application/zip")
    async def download(self, token: str, request: Request, bus: NamedDependency[GatewayBus],
                       store: NamedDependency[ObjectStore],
                       settings: NamedDependency[Settings]) -> Stream:
        """A signed artifact link: streamed, with Range support (206), counted."""
        grant = DownloadLinks(settings.webhook_secret).open(token)
        range_header = request.headers.get("range")
        response = stream_object(store, grant.key, grant.filename, range_header)
        await count_download(bus, grant, range_header)
        return response
