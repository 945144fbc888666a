"""HMAC-SHA256 signatures for trainer → gateway webhooks, with a timestamp against replay.

The trainer signs `"{timestamp}.{body}"` with a per-job secret derived from the platform's
master secret, so the gateway can verify any job's post without a lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

TIMESTAMP_HEADER = "X-Brightrun-Timestamp"
SIGNATURE_HEADER = "X-Brightrun-Signature"
MAX_BODY_BYTES = 256 * 1024
TOLERANCE_S = 300


class SignatureError(Exception):
    pass


def derive_job_secret(master_secret: str, job_id: object) -> str:
    return hmac.new(master_secret.encode(), f"job:{job_id}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: f"sha256={digest}"}


def verify(secret: str, body: bytes, timestamp: str | None, signature: str | None,
           now: float | None = None) -> None:
    """Raise `SignatureError` saying why, for a missing, stale, oversized or forged post."""
    if len(body) > MAX_BODY_BYTES:
        raise SignatureError(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    if not timestamp or not signature:
        raise SignatureError("missing signature or timestamp header")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("timestamp is not an integer") from exc
    if abs((time.time() if now is None else now) - ts) > TOLERANCE_S:
        raise SignatureError(f"timestamp {ts} is outside the {TOLERANCE_S}s window")
    expected = sign(secret, body, ts)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("signature does not match")


def timed_serializer(secret: str, salt: str,
                     clock: Callable[[], float] = time.time) -> URLSafeTimedSerializer:
    """Signed, expiring tokens (download links, job storage grants), timed by `clock` so tests
    can expire them."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret, salt=salt, signer=ClockedSigner)
