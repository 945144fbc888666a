"""API keys (issue 15, "Doors"): who may use the gateway, and with which role. Owned by the jobs
service (services/jobs/api_keys.py); commands and queries under `rpc.jobs.*`. Only the bus reaches
them, so whoever can reach the bus (the operator, through `brightrun keys`) manages keys; the
gateway only verifies them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

# admin: everything. member: everything but the budget and keys. viewer: reads only.
Role = Literal["admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")


class CreateApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A new key; the answer (`CreatedApiKey`) is the only place its secret ever appears."""

    subject: ClassVar[str] = "rpc.jobs.create_api_key"
    role: Role
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""


class ApiKeyView(msgspec.Struct, frozen=True, kw_only=True):
    """A key as listed: never its secret, only the prefix a person recognises it by."""

    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class CreatedApiKey(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # shown once: only its hash is stored
    api_key: ApiKeyView


class ListApiKeys(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_api_keys"
    include_revoked: bool = True


class RevokeApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """Revoked for good (a revoked key is never valid again); the gateway notices within its
    verification cache window (settings.api_key_cache_s)."""

    subject: ClassVar[str] = "rpc.jobs.revoke_api_key"
    key_id: uuid.UUID


class VerifyApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """The gateway's question for every request it guards; a bad key answers 401 invalid_api_key."""

    subject: ClassVar[str] = "rpc.jobs.verify_api_key"
    key: Annotated[str, msgspec.Meta(max_length=200)]


class VerifiedApiKey(msgspec.Struct, frozen=True, kw_only=True):
    key_id: uuid.UUID
    name: str
    role: Role
