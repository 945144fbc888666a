"""Text with a NUL character is refused at the door: PostgreSQL's text cannot hold one, so a
name, note or reviewer carrying U+0000 would otherwise reach a service and fail there as a 500."""

from __future__ import annotations

from litestar.connection import ASGIConnection, Request
from litestar.handlers.base import BaseRouteHandler

from proto.api import ServiceError
from services.gateway.access import EXEMPT

# JSON can only carry NUL escaped; a query string or path only percent-encoded.
_ENCODED = (b"\\u0000", b"%00", b"\x00")


def _refuse(where: str) -> ServiceError:
    return ServiceError("text_contains_nul", f"The request's {where} contains a NUL character "
                        "(U+0000), which no text field can store.",
                        "Remove the NUL characters (\\u0000) from the text and send it again.",
                        {"where": where}, 422)


async def refuse_nul_text(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # The trainer's signed webhooks are no user's text: what a trainer reports is never bounced.
    if isinstance(getattr(getattr(handler, "fn", None), "__self__", None), EXEMPT):
        return
    scope = connection.scope
    path = scope.get("raw_path", b"").split(b"?")[0]  # some servers leave the query on it
    if any(nul.lower() in path.lower() for nul in _ENCODED):
        raise _refuse("path")
    if any(nul.lower() in scope.get("query_string", b"").lower() for nul in _ENCODED):
        raise _refuse("query")
    # Uploaded files are stored as bytes, whatever they hold; websockets carry no body here.
    if (isinstance(connection, Request) and connection.method in ("POST", "PUT", "PATCH")
            and "multipart/" not in connection.headers.get("content-type", "")):
        body = await connection.body()  # Litestar keeps it for the handler's own parsing
        if _ENCODED[0] in body or _ENCODED[2] in body:
            raise _refuse("body")
