"""One place that turns every failure into the `{"error": {...}}` body of the gateway API."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from proto.api import ServiceError
from services.gateway.openai_api.errors import on_http_error as openai_http_error

log = logging.getLogger(__name__)


def error_body(code: str, message: str, how_to_fix: str = "", details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "how_to_fix": how_to_fix,
                      "details": details or {}}}


def _respond(status: int, body: dict) -> Response:
    return Response(body, status_code=status, media_type=MediaType.JSON)


def on_service_error(_: Request, exc: ServiceError) -> Response:
    e = exc.error
    return _respond(e.status, error_body(e.code, e.message, e.how_to_fix, e.details))


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    return _respond(400, error_body(
        "invalid_request", exc.detail or "The request is not valid.",
        "Correct the fields listed in details and send it again.", {"problems": exc.extra or []},
    ))


def on_http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/v1/"):
        # No /v1 route matched (so the /v1 Router's own handlers never ran): still OpenAI's shape.
        return openai_http_error(request, exc)
    if exc.status_code >= 500:
        log.error("gateway error %s: %s", exc.status_code, exc.detail, exc_info=exc)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    fixes = {404: "Check the URL against the API document at /api/v1/schema.",
             413: "Send a smaller file (the limit is 50 MB)."}
    return _respond(exc.status_code, error_body(
        codes.get(exc.status_code, "http_error"), exc.detail, fixes.get(exc.status_code, "")))


def on_unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled gateway error", exc_info=exc)
    return _respond(500, error_body("internal_error", "The gateway failed to answer.",
                                    "Retry; if it persists, check the gateway log."))


EXCEPTION_HANDLERS = {
    ServiceError: on_service_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
