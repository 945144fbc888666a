"""The door (issue 15): API keys on every /api/v1 route and websocket and on /v1, whenever the
gateway listens beyond loopback or BRIGHTRUN_REQUIRE_API_KEYS=1 says so; roles; upload limits.

The jobs service owns the keys (rpc.jobs.verify_api_key); this module only asks, and reuses an
answer for settings.api_key_cache_s, so a revoked key stops working within that window.
Not behind the door: trainer webhooks (per-job HMAC), signed download links and /share pages
(their own tokens), /healthz, /readyz, the console's static files and the OpenAPI document."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import WebSocketException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from libs.common.settings import Settings
from proto.access import Role, VerifiedApiKey, VerifyApiKey
from proto.api import ServiceError
from services.gateway.downloads import DownloadsController
from services.gateway.errors import error_body
from services.gateway.job_storage import JobStorageController
from services.gateway.openai_api.errors import error_type, with_fix
from services.gateway.webhooks import WebhooksController

# Their own tokens guard these: a trainer's per-job HMAC, a signed link's token, a job's storage
# grant. Told apart by the
# controller that serves the matched route, not by a path prefix a crafted URL could imitate.
EXEMPT = (WebhooksController, DownloadsController, JobStorageController)

READS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOADS = frozenset({("POST", "/api/v1/training-files"), ("POST", "/v1/files")})
ADMIN_ONLY = frozenset({("PUT", "/api/v1/budget")})
HOW_TO_GET_A_KEY = ("Create one with `brightrun keys create --role member` on the machine running "
                    "Bright Run (or ask its operator), and send it as 'Authorization: Bearer <key>' "
                    "or 'X-API-Key: <key>' (websockets: the api_key query parameter).")

# What the OpenAPI document says of the door, so clients and schemathesis send a key: either
# scheme, on every operation but those of the EXEMPT controllers, which declare `security =
# [{}]` (no API key: a token of their own).
_WHEN = ("Required whenever the gateway listens beyond 127.0.0.1 (always in docker-compose); "
         "create one with `brightrun keys create --role admin|member|viewer`.")
OPENAPI_COMPONENTS = Components(security_schemes={
    "bearerAuth": SecurityScheme(type="http", scheme="bearer", description=f"An API key. {_WHEN}"),
    "apiKeyHeader": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                                   description=f"An API key, in a header of its own. {_WHEN}"),
})
API_KEY: list[SecurityRequirement] = [{"bearerAuth": []}, {"apiKeyHeader": []}]


class Denied(Exception):
    """A refusal at the door, rendered in the shape of the API it was asked of (on_denied)."""

    def __init__(self, status: int, code: str, message: str, how_to_fix: str,
                 headers: dict[str, str] | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.how_to_fix = status, code, message, how_to_fix
        self.headers, self.details = headers or {}, details or {}


# --- rules (no I/O: tests/unit/test_gateway_access.py) -------------------------------------------


def keys_required(settings: Settings) -> bool:
    """Keys are needed unless the gateway listens on loopback only (then only this machine
    reaches it, as with `brightrun up`). A host name other than localhost may resolve anywhere."""
    if settings.require_api_keys:
        return True
    host = settings.gateway_host.strip().strip("[]")
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def refusal(role: Role, method: str, path: str) -> Denied | None:
    """What a role may not do: a viewer writes nothing, only an admin changes the budget."""
    path = path.rstrip("/") or "/"
    if role == "viewer" and method not in READS:
        return Denied(403, "read_only_api_key", f"This is a viewer key: it cannot {method} {path}.",
                      "Use a member or admin key for changes (brightrun keys create --role member).",
                      details={"role": role})
    if role != "admin" and (method, path) in ADMIN_ONLY:
        return Denied(403, "admin_api_key_required", f"Only an admin key may {method} {path}.",
                      "Ask an admin to make this change, or use an admin key.",
                      details={"role": role})
    return None


class TokenBucket:
    """Per key: `per_minute` tokens, refilled continuously; a full bucket allows a burst of a
    minute's worth. `take` answers 0 when admitted, else the seconds until a token is back."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate_per_s = self.capacity / 60.0
        self._buckets: dict[Any, tuple[float, float]] = {}

    def take(self, key: Any, now: float) -> float:
        tokens, since = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - since) * self.rate_per_s)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate_per_s


def presented_key(headers: Any, query: Any) -> str | None:
    auth = headers.get("authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or query.get("api_key") or None


# --- the door ------------------------------------------------------------------------------------


class Access:
    def __init__(self, settings: Settings, ask: Callable[[Any], Awaitable[Any]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.required = keys_required(settings)
        self.ttl_s = settings.api_key_cache_s
        self.uploads = TokenBucket(settings.uploads_per_minute)
        self._ask, self._clock = ask, clock
        # sha256 of the key → (answer, expiry); a refusal is remembered too, so a flood of one
        # bad key costs the jobs service one query per window.
        self._cache: dict[str, tuple[VerifiedApiKey | Denied, float]] = {}

    async def admit(self, method: str, path: str, headers: Any, query: Any) -> VerifiedApiKey | None:
        if not self.required:
            return None
        key = presented_key(headers, query)
        if not key:
            raise Denied(401, "api_key_required", "This API needs an API key.", HOW_TO_GET_A_KEY,
                         {"WWW-Authenticate": "Bearer"})
        verified = await self.verify(key)
        denied = refusal(verified.role, method, path)
        if denied is not None:
            raise denied
        if (method, path.rstrip("/")) in UPLOADS:
            self._limit_uploads(verified)
        return verified

    async def verify(self, key: str) -> VerifiedApiKey:
        now = self._clock()
        digest = hashlib.sha256(key.encode()).hexdigest()
        answer, expires = self._cache.get(digest, (None, 0.0))
        if answer is None or expires <= now:
            answer = await self._ask_service(key)
            self._remember(digest, answer, now)
        if isinstance(answer, Denied):
            raise answer
        return answer

    async def _ask_service(self, key: str) -> VerifiedApiKey | Denied:
        try:
            result = await self._ask(VerifyApiKey(key=key[:200]))
        except ServiceError as exc:
            if exc.error.status != 401:
                raise  # the jobs service is down: a 503 that says so, and nothing cached
            return Denied(401, exc.error.code, exc.error.message, exc.error.how_to_fix,
                          {"WWW-Authenticate": "Bearer"})
        return msgspec.convert(result, VerifiedApiKey)

    def _remember(self, digest: str, answer: VerifiedApiKey | Denied, now: float) -> None:
        if len(self._cache) > 10_000:  # bounded, whatever keys a client makes up
            self._cache = {d: v for d, v in self._cache.items() if v[1] > now}
        self._cache[digest] = (answer, now + self.ttl_s)

    def _limit_uploads(self, verified: VerifiedApiKey) -> None:
        wait_s = self.uploads.take(verified.key_id, self._clock())
        if wait_s > 0:
            retry = max(1, math.ceil(wait_s))
            raise Denied(429, "upload_rate_limited",
                         f"This key has sent its {int(self.uploads.capacity)} uploads a minute.",
                         f"Wait {retry} s (the Retry-After header) and send it again; uploads "
                         "are limited per key (BRIGHTRUN_UPLOADS_PER_MINUTE).",
                         {"Retry-After": str(retry)}, {"retry_after_s": retry})


    async def guard(self, connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        """The door for one request or websocket (require_api_key, and /v1's check_api_key)."""
        # Litestar turns controllers into routers; the handler's method still knows its own.
        if isinstance(getattr(getattr(handler, "fn", None), "__self__", None), EXEMPT):
            return
        websocket = connection.scope["type"] == "websocket"
        try:
            await self.admit("GET" if websocket else connection.scope["method"],
                             connection.scope["path"], connection.headers,
                             connection.query_params)
        except Denied as exc:
            if websocket:  # closed before it is accepted; 4401/4403: 4000 + the HTTP status
                raise WebSocketException(detail=exc.message, code=4000 + exc.status) from exc
            raise


async def require_api_key(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The guard on the /api/v1 Router (HTTP and websockets alike)."""
    access: Access = connection.app.state.access
    await access.guard(connection, handler)


def on_denied(request: Request, exc: Denied) -> Response:
    """401/403/429 in the error shape of the API asked: OpenAI's on /v1, ours elsewhere."""
    if request.url.path.startswith("/v1/"):
        body = {"error": {"message": with_fix(exc.message, exc.how_to_fix),
                          "type": error_type(exc.status), "param": None, "code": exc.code}}
    else:
        body = error_body(exc.code, exc.message, exc.how_to_fix, exc.details)
    return Response(body, status_code=exc.status, media_type=MediaType.JSON, headers=exc.headers)
