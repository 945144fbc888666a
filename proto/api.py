"""Request/reply envelopes for queries and commands the gateway sends to services.

RPC subjects live under `rpc.<service>.<operation>` so that no JetStream stream captures them.
"""

from __future__ import annotations

from typing import Any

import msgspec


class ApiError(msgspec.Struct, frozen=True, kw_only=True):
    """The `{"error": {...}}` body of the gateway; services raise it as `ServiceError`."""

    code: str
    message: str
    how_to_fix: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    status: int = 400


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """What every RPC handler answers: a result or an error, never an exception."""

    ok: bool
    result: Any = None
    error: ApiError | None = None


class ServiceError(Exception):
    """A user-facing failure raised in a service; the RPC layer turns it into `ApiError`."""

    def __init__(
        self,
        code: str,
        message: str,
        how_to_fix: str = "",
        details: dict[str, Any] | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.error = ApiError(
            code=code, message=message, how_to_fix=how_to_fix, details=details or {}, status=status
        )

    @classmethod
    def not_found(cls, what: str, id_: object) -> ServiceError:
        return cls(
            f"{what.replace(' ', '_')}_not_found",
            f"No {what} with id {id_}.",
            f"List the available {what}s and use one of their ids.",
            {"id": str(id_)},
            404,
        )
