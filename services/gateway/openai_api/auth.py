"""Bearer tokens on /v1. API keys do not exist yet: any `Authorization: Bearer …` (or none) is
let through, so OpenAI clients, which always send one, work today. Keys plug in here alone."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.gateway.openai_api.errors import OpenAIError


def check_api_key(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A Litestar guard on the /v1 Router. Today it refuses only a malformed header (one that is
    not a Bearer token), which no OpenAI client sends; once keys exist it looks the key up."""
    header = connection.headers.get("authorization")
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OpenAIError(401, "The Authorization header must be 'Bearer <API key>'. How to fix: "
                          "pass api_key to the client (any value works until API keys exist).",
                          code="invalid_api_key")
