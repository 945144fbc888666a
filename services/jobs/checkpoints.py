"""A job's checkpoints as the jobs service sees them: listed, checked against their manifest,
copied to a new job. The trainer's own checkpoint module imports torch at load; this one reads
the same layout (trainer/checkpoint.py) with nothing but the object store and hashlib."""

from __future__ import annotations

import hashlib
import json
import re

from libs.common.storage import ObjectNotFound, ObjectStore

MANIFEST = "manifest.json"
_STEP_DIR = re.compile(r"/checkpoints/step-(\d{8})/")


class CheckpointInvalid(Exception):
    pass


def checkpoint_key(job_id: object, step: int) -> str:
    # jobs/{id} is the trainer's output prefix (services/provisioning/domain.output_prefix).
    return f"jobs/{job_id}/checkpoints/step-{step:08d}"


def complete_checkpoints(store: ObjectStore, job_id: object) -> dict[int, str]:
    """step -> key of every checkpoint whose manifest was written (a finished write)."""
    found: dict[int, str] = {}
    for object_key in store.list(f"jobs/{job_id}/checkpoints/"):
        match = _STEP_DIR.search("/" + object_key)
        if match and object_key.endswith(f"/{MANIFEST}"):
            step = int(match.group(1))
            found[step] = checkpoint_key(job_id, step)
    return found


def verify(store: ObjectStore, key: str) -> int:
    """Check every file against the manifest's sha256; the checkpoint's size in bytes.
    UJ4.3.2: a corrupt checkpoint is refused before any job is created from it."""
    try:
        files = json.loads(store.get_bytes(f"{key}/{MANIFEST}"))["files"]
        names = list(files.items())
    except ObjectNotFound as exc:
        raise CheckpointInvalid("its manifest is missing (the write never finished)") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointInvalid(f"its manifest is unreadable ({exc})") from exc
    size = 0
    for name, meta in names:
        try:
            data = store.get_bytes(f"{key}/{name}")
        except ObjectNotFound as exc:
            raise CheckpointInvalid(f"{name} is missing") from exc
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise CheckpointInvalid(f"{name} does not match its checksum")
        size += len(data)
    return size


def copy(store: ObjectStore, source_key: str, target_key: str) -> None:
    """Copy a verified checkpoint under another job; the manifest last, as the trainer writes."""
    names = [k[len(source_key) + 1:] for k in store.list(source_key + "/")]
    for name in sorted(n for n in names if n != MANIFEST):
        store.put_bytes(f"{target_key}/{name}", store.get_bytes(f"{source_key}/{name}"))
    store.put_bytes(f"{target_key}/{MANIFEST}", store.get_bytes(f"{source_key}/{MANIFEST}"))
