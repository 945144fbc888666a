"""Our UUIDs as OpenAI-looking ids and back: the one place either direction is written.

A bare UUID is accepted too, so ids copied from the console or /api/v1 work here as well."""

from __future__ import annotations

import uuid

from services.gateway.openai_api.errors import OpenAIError

FILE, JOB, EVENT, CHECKPOINT = "file-", "ftjob-", "ftevent-", "ftckpt-"
_WHAT = {FILE: "File", JOB: "fine-tuning job", EVENT: "event"}


def to_openai(prefix: str, value: object) -> str:
    return f"{prefix}{uuid.UUID(str(value)).hex}"


def from_openai(prefix: str, value: str, param: str | None = None) -> uuid.UUID:
    """The UUID inside `file-…`/`ftjob-…`/`ftevent-…`; an id that is not one is a 404, as
    OpenAI answers for an id it does not know."""
    text = value.removeprefix(prefix)
    try:
        return uuid.UUID(text)
    except ValueError:
        raise OpenAIError(404, f"No such {_WHAT.get(prefix, 'object')}: {value!r}. Ids here look "
                          f"like {prefix}<32 hex digits>; list them to find one.",
                          param=param, code="not_found") from None


def checkpoint_id(job_id: object, step: int) -> str:
    return f"{CHECKPOINT}{uuid.UUID(str(job_id)).hex}-{step}"
