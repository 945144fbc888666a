"""Storage scoped to one job: the keys a training pod may read and write, as a signed grant.

A RunPod pod runs on someone else's machine, so it never gets the platform's storage keys. It
gets a grant instead: provisioning signs what the job may touch (its training file, its own
prefix for checkpoints, adapter and validation results) with the platform secret, and the
gateway's job-storage routes serve exactly that, to whoever holds the grant, until it expires.
Like an STS session policy, but checkable without a lookup, and the same for a local-directory
store as for S3.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import msgspec
from itsdangerous import BadSignature, SignatureExpired

from libs.common.signing import timed_serializer

# Longer than any job runs (a job's time cap is days, not weeks); a re-run gets a fresh grant.
GRANT_TTL_S = 14 * 24 * 3600
SALT = "brightrun-job-storage"


class GrantRefused(Exception):
    """Why a grant cannot be used: expired, altered, or for another job."""


class StorageGrant(msgspec.Struct, frozen=True, kw_only=True):
    """Keys are exact; an entry ending in "/" is a prefix. Whatever may be written may be read."""

    job_id: uuid.UUID
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()

    def allows(self, key: str, *, write: bool = False) -> bool:
        scope = self.write if write else self.read + self.write
        return any(key == entry or (entry.endswith("/") and key.startswith(entry))
                   for entry in scope)

    def allows_listing(self, prefix: str) -> bool:
        """A listing may only look inside a readable prefix (what it returns is filtered too)."""
        return any(entry.endswith("/") and prefix.startswith(entry)
                   for entry in self.read + self.write)


def job_grant(job_id: uuid.UUID, training_file_key: str, output_prefix: str,
              *also_readable: str | None) -> StorageGrant:
    """What a training run touches: its file, its prefix, and any other stored input it names
    (a checkpoint to resume from, an adapter to re-validate) as a prefix of its own."""
    extra = tuple(f"{key.rstrip('/')}/" for key in also_readable if key)
    return StorageGrant(job_id=job_id, read=(training_file_key, *extra),
                        write=(f"{output_prefix.rstrip('/')}/",))


class StorageGrants:
    def __init__(self, secret: str, ttl_s: float = GRANT_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self.serializer = timed_serializer(secret, SALT, clock)

    def issue(self, grant: StorageGrant) -> str:
        return self.serializer.dumps(msgspec.to_builtins(grant))

    def open(self, token: str, job_id: uuid.UUID) -> StorageGrant:
        try:
            grant = msgspec.convert(self.serializer.loads(token, max_age=self.ttl_s),
                                    StorageGrant)
        except SignatureExpired as exc:
            raise GrantRefused("the storage grant has expired") from exc
        except (BadSignature, msgspec.ValidationError) as exc:
            raise GrantRefused("the storage grant is not valid (altered or cut short)") from exc
        if grant.job_id != job_id:
            raise GrantRefused("the storage grant is for another job")
        return grant
