"""Bearer tokens on /v1. Where the gateway requires API keys (services/gateway/access.py: it
listens beyond loopback, or BRIGHTRUN_REQUIRE_API_KEYS=1), the token must be a valid key, with
the same roles and upload limit as /api/v1, refused in OpenAI's error shape. Elsewhere any
`Authorization: Bearer …` (or none) is let through, so OpenAI clients, which always send one,
work on a loopback-only install without a key."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.gateway.openai_api.errors import OpenAIError


async def check_api_key(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """A Litestar guard on the /v1 Router. A malformed header (one that is not a Bearer token,
    which no OpenAI client sends) is refused either way."""
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise OpenAIError(401, "The Authorization header must be 'Bearer <API key>'. How to "
                              "fix: pass api_key to the client (on a loopback-only install any "
                              "value works).", code="invalid_api_key")
    # The door itself is services/gateway/access.py, reached through the app's state (importing
    # it here would be a cycle: it renders errors with this package's helpers).
    await connection.app.state.access.guard(connection, handler)
