"""Job storage: one job's files in the platform's object store, for a pod that holds the job's
storage grant (libs.common.storage_grants) and never the store's keys.

The grant says what the job may touch; these routes check it on every request and pass the
bytes through, streamed both ways. Outside the grant → 403, a bad or expired grant → 401.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import msgspec
from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Stream

from libs.common.job_storage import GRANT_HEADER
from libs.common.settings import Settings
from libs.common.storage import ObjectNotFound, ObjectStore, check_key
from libs.common.storage_grants import GrantRefused, StorageGrant, StorageGrants
from proto.api import ServiceError
from services.gateway.downloads import stream_object

# A checkpoint of a large model's adapter and optimizer state: far above any upload a user sends.
MAX_OBJECT_BYTES = 64 * 1024**3


class ObjectKeys(msgspec.Struct, frozen=True):
    keys: list[str]


class ObjectSize(msgspec.Struct, frozen=True):
    key: str
    size: int


def _grant(request: Request, job_id: uuid.UUID, settings: Settings) -> StorageGrant:
    try:
        return StorageGrants(settings.webhook_secret).open(request.headers.get(GRANT_HEADER, ""),
                                                           job_id)
    except GrantRefused as exc:
        raise ServiceError("storage_grant_refused", f"Job storage refused: {exc}.",
                           f"Send the grant the job's spec carries in its storage URL, in the "
                           f"{GRANT_HEADER} header; a new attempt of the job gets a new one.",
                           status=401) from exc


def _allowed(grant: StorageGrant, key: str, *, write: bool = False) -> str:
    try:
        check_key(key)
    except ValueError as exc:
        raise ServiceError("invalid_object_key", str(exc), "Use a relative key without '..'.",
                           status=400) from exc
    if not grant.allows(key, write=write):
        raise _outside(key, write)
    return key


def _outside(key: str, write: bool = False) -> ServiceError:
    return ServiceError("outside_storage_grant",
                        f"This job's storage grant does not cover {'writing' if write else 'reading'}"
                        f" {key!r}.", "A job reads its training file and its own prefix and "
                        "writes only under its own prefix.", {"key": key}, 403)


def _missing(key: str) -> ServiceError:
    return ServiceError("object_not_found", f"No object {key!r} in storage.",
                        "List the prefix first; a checkpoint being written shows up once it is "
                        "whole.", {"key": key}, 404)


class JobStorageController(Controller):
    path = "/job-storage/{job_id:uuid}"
    tags = ["trainer storage"]
    security = [{}]  # no API key (access.EXEMPT): the job's storage grant guards it

    @get("/objects")
    async def list_objects(self, job_id: uuid.UUID, request: Request,
                           store: NamedDependency[ObjectStore], settings: NamedDependency[Settings],
                           prefix: str = Parameter(min_length=1)) -> ObjectKeys:
        """The keys under a prefix the grant can read."""
        grant = _grant(request, job_id, settings)
        if not grant.allows_listing(prefix):
            raise _outside(prefix)
        keys = await asyncio.to_thread(store.list, prefix)
        return ObjectKeys(keys=[key for key in keys if grant.allows(key)])

    @get("/sizes/{key:path}")
    async def object_size(self, job_id: uuid.UUID, key: str, request: Request,
                          store: NamedDependency[ObjectStore],
                          settings: NamedDependency[Settings]) -> ObjectSize:
        """An object's size: whether it exists, without its bytes."""
        key = _allowed(_grant(request, job_id, settings), key.lstrip("/"))
        try:
            return ObjectSize(key=key, size=await asyncio.to_thread(store.size, key))
        except ObjectNotFound as exc:
            raise _missing(key) from exc

    @get("/objects/{key:path}", media_type="application/octet-stream")
    async def read_object(self, job_id: uuid.UUID, key: str, request: Request,
                          store: NamedDependency[ObjectStore],
                          settings: NamedDependency[Settings]) -> Stream:
        """An object's bytes, streamed (a single `Range` is honoured)."""
        key = _allowed(_grant(request, job_id, settings), key.lstrip("/"))
        return await asyncio.to_thread(stream_object, store, key, None, request.headers.get("range"),
                                       "application/octet-stream", lambda: _missing(key))

    @put("/objects/{key:path}", status_code=204, request_max_body_size=MAX_OBJECT_BYTES)
    async def write_object(self, job_id: uuid.UUID, key: str, request: Request,
                           store: NamedDependency[ObjectStore],
                           settings: NamedDependency[Settings]) -> None:
        """Store the body under the key, whole or not at all (spooled to disk first)."""
        key = _allowed(_grant(request, job_id, settings), key.lstrip("/"), write=True)
        fd, spool = tempfile.mkstemp(prefix="brightrun-job-storage-")
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in request.stream():
                    out.write(chunk)
            await asyncio.to_thread(store.put_file, key, Path(spool))
        finally:
            os.unlink(spool)

    @delete("/objects/{key:path}", status_code=204)
    async def delete_object(self, job_id: uuid.UUID, key: str, request: Request,
                            store: NamedDependency[ObjectStore],
                            settings: NamedDependency[Settings]) -> None:
        """Remove an object (a checkpoint the trainer found incomplete)."""
        key = _allowed(_grant(request, job_id, settings), key.lstrip("/"), write=True)
        await asyncio.to_thread(store.delete, key)
