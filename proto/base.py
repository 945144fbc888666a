"""The envelope every message shares, and the codec used on the wire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import msgspec


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every event and command: identity, time and version travel with the payload."""

    subject: ClassVar[str] = ""
    event_id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    occurred_at: datetime = msgspec.field(default_factory=utcnow)
    schema_version: int = 1


M = TypeVar("M")

_encoder = msgspec.json.Encoder()


def encode(message: Any) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes | str, type_: type[M]) -> M:
    return msgspec.json.decode(data, type=type_)


def to_builtins(message: Any) -> Any:
    return msgspec.to_builtins(message)
