"""Share links (UJ5.3.2): signed tokens, their expiry, and what a view records. No I/O.

A token is signed with the server secret (itsdangerous) and carries the share id, its expiry
and which recipient's link it is: a changed character fails the signature (403), and an
expired or revoked share is refused with 410. The visitor's address is kept only as a salted
hash, enough to tell repeat views apart and nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec
from itsdangerous import BadSignature, URLSafeSerializer

from proto.api import ServiceError
from proto.reports import MAX_SHARE_DAYS

SALT = "brightrun.share-link.v1"
PUBLIC = -1  # the recipient index of the public link


class TokenClaims(msgspec.Struct, frozen=True):
    share_id: uuid.UUID
    expires_at: datetime
    recipient: int = PUBLIC  # index into the share's recipients; PUBLIC for the public link


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_token(secret: str, claims: TokenClaims) -> str:
    return _serializer(secret).dumps(
        [str(claims.share_id), int(claims.expires_at.timestamp()), claims.recipient])


def read_token(secret: str, token: str) -> TokenClaims:
    """The claims of an untampered token; 403 `share_link_invalid` otherwise."""
    try:
        share_id, expires, recipient = _serializer(secret).loads(token)
        return TokenClaims(uuid.UUID(share_id), datetime.fromtimestamp(expires, UTC), recipient)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ServiceError(
            "share_link_invalid", "This share link is not valid: it was changed or cut short.",
            "Open the link exactly as it was sent, or ask the owner for a new one.", {}, 403,
        ) from exc


def check_days(days: int) -> None:
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ServiceError(
            "share_expiry_out_of_range",
            f"A share link lasts 1 to {MAX_SHARE_DAYS} days; {days} was asked for.",
            f"Send expires_in_days between 1 and {MAX_SHARE_DAYS}.",
            {"field": "expires_in_days", "max": MAX_SHARE_DAYS}, 422)


def expiry(now: datetime, days: int) -> datetime:
    check_days(days)
    return (now + timedelta(days=days)).replace(microsecond=0)


Status = Literal["active", "expired", "revoked"]


def status(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> Status:
    if revoked_at is not None:
        return "revoked"
    return "expired" if now >= expires_at else "active"


def check_open(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> None:
    """410 for a link that was valid once: say to ask the owner for a new one."""
    state = status(expires_at, revoked_at, now)
    if state == "active":
        return
    what = "was revoked by its owner" if state == "revoked" else \
        f"expired on {expires_at:%d %B %Y}"
    raise ServiceError(f"share_link_{state}", f"This share link {what}.",
                       "Ask the person who shared it for a new link.", {"status": state}, 410)


def address_hash(secret: str, address: str) -> str:
    """A salted hash (HMAC) of the visitor's address: repeat views tell, the address does not."""
    return hmac.new(f"{SALT}:{secret}".encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def share_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/share/{token}"
