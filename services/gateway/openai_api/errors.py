"""OpenAI's error shape on /v1: `{"error": {"message", "type", "param", "code"}}`.

The handlers are the /v1 Router's own, so /api/v1 keeps its `{code, message, how_to_fix,
details}` body. Our `how_to_fix` travels inside `message`: OpenAI clients show only that."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from proto.api import ServiceError

log = logging.getLogger(__name__)

# Which request field a service's error is about, for OpenAI's `param`.
PARAMS = {
    "training_file_not_found": "training_file", "training_file_not_eligible": "training_file",
    "invalid_hyperparameter": "hyperparameters", "unknown_preset": "extra_body.brightrun.preset",
}
# Where OpenAI answers another status than ours: cancelling a finished job is a 400 there (and
# OpenAI's clients retry a 409, which cannot succeed here).
STATUSES = {"job_not_cancellable": 400}


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, type_: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.type = type_ or error_type(status)


def error_type(status: int) -> str:
    return {401: "authentication_error", 403: "permission_error",
            429: "rate_limit_error"}.get(status, "server_error" if status >= 500
                                         else "invalid_request_error")


def _respond(exc: OpenAIError) -> Response:
    return Response({"error": {"message": exc.message, "type": exc.type, "param": exc.param,
                               "code": exc.code}},
                    status_code=exc.status, media_type=MediaType.JSON)


def with_fix(message: str, how_to_fix: str) -> str:
    if not how_to_fix:
        return message
    stop = "" if message.rstrip().endswith((".", "!", "?")) else "."
    return f"{message.rstrip()}{stop} How to fix: {how_to_fix}"


def from_service_error(exc: ServiceError) -> OpenAIError:
    e = exc.error
    # A request our services refuse as unprocessable (422) is what OpenAI calls a bad request.
    status = STATUSES.get(e.code, 400 if e.status == 422 else e.status)
    return OpenAIError(status, with_fix(e.message, e.how_to_fix), param=PARAMS.get(e.code),
                       code=e.code)


def on_openai_error(_: Request, exc: OpenAIError) -> Response:
    return _respond(exc)


def on_service_error(_: Request, exc: ServiceError) -> Response:
    return _respond(from_service_error(exc))


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    problems = exc.extra if isinstance(exc.extra, list) else []
    param = next((p.get("key") for p in problems if isinstance(p, dict) and p.get("key")), None)
    detail = "; ".join(str(p.get("message", p)) if isinstance(p, dict) else str(p)
                       for p in problems)
    return _respond(OpenAIError(400, with_fix(
        f"{exc.detail or 'The request is not valid.'}" + (f": {detail}" if detail else ""),
        "Correct the named field and send the request again."), param=param,
        code="invalid_request"))


def on_http_error(_: Request, exc: HTTPException) -> Response:
    if exc.status_code >= 500:
        log.error("/v1 error %s: %s", exc.status_code, exc.detail, exc_info=exc)
    return _respond(OpenAIError(exc.status_code, exc.detail or "HTTP error"))


def on_unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled /v1 error", exc_info=exc)
    return _respond(OpenAIError(500, "The gateway failed to answer. How to fix: retry; if it "
                                "persists, check the gateway log.", code="internal_error"))


EXCEPTION_HANDLERS = {
    OpenAIError: on_openai_error,
    ServiceError: on_service_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
