"""API keys (issue 15, "Doors"): create, list, revoke and verify. The rules first (no I/O,
tests/unit/jobs/test_api_keys.py), then the handlers.

Why a fast keyed hash (HMAC-SHA256) and not bcrypt/argon2: a slow password hash exists to make
guessing a *low-entropy* secret expensive. Our keys are 32 random bytes (256 bits) from
`secrets`, so guessing one is infeasible at any hash speed, and the gateway verifies a key on
every request it does not have cached: microseconds matter there, 100 ms of argon2 would not.
The hash is keyed (settings.api_key_hash_secret, when the operator sets one) so that a copy of the
table alone cannot even test a guessed key. Lookup is by the hash itself (a unique index): no
comparison of secrets happens in Python, so there is no timing to leak."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from proto.access import (
    ApiKeyView,
    CreateApiKey,
    CreatedApiKey,
    ListApiKeys,
    RevokeApiKey,
    VerifiedApiKey,
    VerifyApiKey,
)
from proto.api import ServiceError
from services.jobs.api_key_repository import ApiKeys

KEY_PREFIX = "brk_"  # says what a leaked string is (secret scanners match on such prefixes)
TOKEN_BYTES = 32
# brk_ + url-safe base64 of 32 bytes (43 characters, no padding).
KEY_SHAPE = re.compile(r"brk_[A-Za-z0-9_-]{43}")
SHOWN_PREFIX = len(KEY_PREFIX) + 8  # enough to tell keys apart in a list, useless to an attacker
DEFAULT_HASH_KEY = b"brightrun-api-key-v1"


# --- rules ---------------------------------------------------------------------------------------


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def key_hash(key: str, hash_secret: str = "") -> str:
    secret = hash_secret.encode() if hash_secret else DEFAULT_HASH_KEY
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def well_formed(key: str) -> bool:
    """Only a string of our shape is looked up: anything else is refused without a query."""
    return KEY_SHAPE.fullmatch(key) is not None


def invalid_key() -> ServiceError:
    return ServiceError(
        "invalid_api_key", "The API key is not valid, or it was revoked.",
        "Create a key with `brightrun keys create --role member` on the machine running Bright "
        "Run (or ask its operator for one), and send it as 'Authorization: Bearer <key>'.",
        status=401)


def key_row(cmd: CreateApiKey, key: str, hash_secret: str) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "name": cmd.name.strip(), "role": cmd.role,
            "key_hash": key_hash(key, hash_secret), "prefix": key[:SHOWN_PREFIX]}


def view(row: dict[str, Any]) -> ApiKeyView:
    return msgspec.convert({k: row[k] for k in ApiKeyView.__struct_fields__}, ApiKeyView)


# --- handlers ------------------------------------------------------------------------------------


async def create_api_key(cmd: CreateApiKey, uow: UnitOfWork, hash_secret: str) -> CreatedApiKey:
    key = new_key()
    async with uow() as work:
        row = await ApiKeys(work.conn).add(key_row(cmd, key, hash_secret))
    return CreatedApiKey(key=key, api_key=view(row))


async def list_api_keys(q: ListApiKeys, uow: UnitOfWork) -> list[ApiKeyView]:
    async with uow() as work:
        rows = await ApiKeys(work.conn).list(q.include_revoked)
    return [view(r) for r in rows]


async def revoke_api_key(cmd: RevokeApiKey, uow: UnitOfWork) -> ApiKeyView:
    """Idempotent: revoking a revoked key answers it as it is (revoked at the first time)."""
    async with uow() as work:
        row = await ApiKeys(work.conn).revoke(cmd.key_id)
    if row is None:
        raise ServiceError.not_found("API key", cmd.key_id)
    return view(row)


async def verify_api_key(q: VerifyApiKey, uow: UnitOfWork, hash_secret: str) -> VerifiedApiKey:
    if not well_formed(q.key):
        raise invalid_key()
    async with uow() as work:
        row = await ApiKeys(work.conn).active(key_hash(q.key, hash_secret))
    if row is None:
        raise invalid_key()
    return VerifiedApiKey(key_id=row["id"], name=row["name"], role=row["role"])
