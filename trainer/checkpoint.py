"""Checkpoints: everything an exact resume needs, written atomically, verified on the way back.

`{output_prefix}/checkpoints/step-{N:08d}/` holds the adapter (peft save_pretrained), the
optimizer and scheduler state, RNG states, and `trainer_state.json` (step, epoch, data
position, losses so far, the run's config). `manifest.json` lists every file's sha256 and is
written last: a checkpoint without a valid manifest does not exist (DESIGN.md, reliability).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import torch

from libs.common.storage import ObjectNotFound, ObjectStore
from proto.training import Hyperparameters, LoraSettings, ModelRef, TrainingJobSpec
from trainer.errors import CheckpointError

log = logging.getLogger("trainer.checkpoint")

MANIFEST = "manifest.json"
STATE = "trainer_state.json"
_STEP_DIR = re.compile(r"/checkpoints/step-(\d{8})/")


class TrainerState(msgspec.Struct, kw_only=True):
    """The loop's position and history; with the files beside it, the whole run so far."""

    step: int = 0  # optimizer steps done
    epoch: int = 0  # epoch in progress
    group: int = 0  # next step-group (of grad_accumulation micro-batches) within the epoch
    losses: list[float] = msgspec.field(default_factory=list)  # one per step
    tokens_trained: int = 0
    train_runtime_s: float = 0.0
    val_loss: float | None = None
    perplexity: float | None = None
    evaluated_at_step: int = -1
    config: dict[str, Any] = msgspec.field(default_factory=dict)  # model, lora, hyperparameters
    rows_per_pass: int = 0  # sequences a forward pass runs; 0 in checkpoints from before it was
    data_fingerprint: str = ""


class Corrupt(Exception):
    pass


@dataclass(frozen=True)
class Restorable:
    key: str  # object-key prefix of the checkpoint
    step: int
    local_dir: Path  # verified copies of its files
    state: TrainerState
    size_bytes: int


def checkpoint_key(output_prefix: str, step: int) -> str:
    return f"{output_prefix.rstrip('/')}/checkpoints/step-{step:08d}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        states["numpy"] = (kind, torch.from_numpy(keys.copy()), pos, has_gauss, gauss)
    except ImportError:
        pass
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    if "numpy" in states:
        import numpy as np

        kind, keys, pos, has_gauss, gauss = states["numpy"]
        np.random.set_state((kind, keys.numpy(), pos, has_gauss, gauss))


def save(store: ObjectStore, output_prefix: str, model: Any, optimizer: torch.optim.Optimizer,
         scheduler: Any, state: TrainerState, keep: int) -> tuple[str, int]:
    """Write the checkpoint for `state.step`; returns (key, size in bytes). Prunes to `keep`."""
    key = checkpoint_key(output_prefix, state.step)
    # Checkpoints at or after this step belong to a timeline this run abandoned (it resumed
    # from an earlier one): left in place, a later resume would jump back onto it.
    for step, stale in list_steps(store, output_prefix).items():
        if step >= state.step:
            _delete(store, stale)
    with tempfile.TemporaryDirectory(prefix="brightrun-ckpt-") as tmp:
        root = Path(tmp)
        model.save_pretrained(root / "adapter")
        torch.save(optimizer.state_dict(), root / "optimizer.pt")
        torch.save(scheduler.state_dict(), root / "scheduler.pt")
        torch.save(rng_states(), root / "rng.pt")
        (root / STATE).write_bytes(msgspec.json.encode(state))
        files = {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}
        manifest = {"step": state.step, "files": {
            name: {"sha256": _sha256(p), "size_bytes": p.stat().st_size} for name, p in files.items()
        }}
        for name, path in files.items():
            store.put_file(f"{key}/{name}", path)
        body = json.dumps(manifest, indent=1).encode()
        store.put_bytes(f"{key}/{MANIFEST}", body)  # last: now the checkpoint exists
    prune(store, output_prefix, keep)
    return key, sum(f["size_bytes"] for f in manifest["files"].values()) + len(body)


def list_steps(store: ObjectStore, output_prefix: str) -> dict[int, str]:
    """step -> key of every checkpoint directory present, complete or not."""
    found: dict[int, str] = {}
    for object_key in store.list(f"{output_prefix.rstrip('/')}/checkpoints/"):
        match = _STEP_DIR.search("/" + object_key)
        if match:
            found[int(match.group(1))] = checkpoint_key(output_prefix, int(match.group(1)))
    return found


def _delete(store: ObjectStore, key: str) -> None:
    names = store.list(key + "/")
    manifest = f"{key}/{MANIFEST}"
    if manifest in names:  # manifest first: a half-deleted checkpoint is incomplete, not corrupt
        store.delete(manifest)
    for name in names:
        if name != manifest:
            store.delete(name)


def prune(store: ObjectStore, output_prefix: str, keep: int) -> None:
    steps = list_steps(store, output_prefix)
    complete = [s for s in sorted(steps, reverse=True) if store.exists(f"{steps[s]}/{MANIFEST}")]
    kept = set(complete[:keep])
    newest = complete[0] if complete else -1
    for step, key in steps.items():
        # Incomplete ones older than the newest are leftovers of a crash mid-write.
        if step not in kept and step <= newest:
            _delete(store, key)


def verify(store: ObjectStore, key: str, into: Path) -> TrainerState:
    """Download and check every file against the manifest; raise Corrupt saying what is wrong."""
    try:
        manifest = json.loads(store.get_bytes(f"{key}/{MANIFEST}"))
        files = manifest["files"]
    except ObjectNotFound:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise Corrupt(f"manifest unreadable ({exc})") from exc
    for name, meta in files.items():
        local = into / name
        try:
            store.get_file(f"{key}/{name}", local)
        except ObjectNotFound as exc:
            raise Corrupt(f"{name} is missing") from exc
        if _sha256(local) != meta["sha256"]:
            raise Corrupt(f"{name} does not match its checksum")
    try:
        return msgspec.json.decode((into / STATE).read_bytes(), type=TrainerState)
    except (OSError, msgspec.DecodeError) as exc:
        raise Corrupt(f"{STATE} unreadable ({exc})") from exc


def find_restorable(store: ObjectStore, output_prefix: str, resume_from: str | None,
                    work_dir: Path) -> tuple[Restorable | None, list[str]]:
    """The checkpoint to resume from — `resume_from` or the newest — falling back past corrupt
    ones. Returns it (or None: start fresh) and a note per corrupt checkpoint passed over."""
    steps = list_steps(store, output_prefix)
    if resume_from:
        match = _STEP_DIR.search("/" + resume_from.rstrip("/").removesuffix(MANIFEST) + "/")
        if not match or int(match.group(1)) not in steps:
            raise CheckpointError(f"resume_from {resume_from!r} names no checkpoint under "
                                  f"{output_prefix}/checkpoints/")
        steps = {s: k for s, k in steps.items() if s <= int(match.group(1))}
    notes: list[str] = []
    for step in sorted(steps, reverse=True):
        local = work_dir / f"step-{step:08d}"
        try:
            state = verify(store, steps[step], local)
        except ObjectNotFound:
            log.info("step-%08d has no manifest (a write that never finished): skipped", step)
            continue
        except Corrupt as exc:
            log.warning("checkpoint step-%08d corrupt: %s", step, exc)
            notes.append(f"step-{step:08d} corrupt ({exc})")
            continue
        size = sum(p.stat().st_size for p in local.rglob("*") if p.is_file())
        return Restorable(steps[step], step, local, state, size), notes
    return None, notes


def restore(found: Restorable, model: Any, optimizer: torch.optim.Optimizer,
            scheduler: Any) -> TrainerState:
    """Load adapter, optimizer, scheduler and RNG states into the freshly built run."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = load_file(str(found.local_dir / "adapter" / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model, weights)
    if getattr(result, "unexpected_keys", None):
        raise CheckpointError(f"checkpoint {found.key} does not fit this model: unexpected "
                              f"adapter keys {result.unexpected_keys[:3]}")
    optimizer.load_state_dict(torch.load(found.local_dir / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(found.local_dir / "scheduler.pt", weights_only=True))
    set_rng_states(torch.load(found.local_dir / "rng.pt", weights_only=True))
    return found.state


def claim_generation(store: ObjectStore, output_prefix: str) -> int:
    """How many processes started this output before; recorded so event seq stays monotonic."""
    prefix = f"{output_prefix.rstrip('/')}/starts/"
    generation = len(store.list(prefix))
    store.put_bytes(f"{prefix}{generation:06d}", b"")
    return generation


# Settings that steer the trajectory come from the checkpoint on resume; these only say how
# often to report and save, so the new spec's values are fine.
OPERATIONAL = {"checkpoint_every_steps", "keep_checkpoints", "report_every_steps"}


def run_config(spec: TrainingJobSpec) -> dict[str, Any]:
    return msgspec.to_builtins({"model": spec.model, "lora": spec.lora,
                                "hyperparameters": spec.hyperparameters})


def resume_shape(spec: TrainingJobSpec, saved: dict[str, Any]) -> tuple[TrainingJobSpec, list[str]]:
    """The spec with the checkpoint's run shape, and a warning for each value that differed."""
    current = run_config(spec)
    warnings: list[str] = []
    merged: dict[str, Any] = {}
    for section, values in current.items():
        merged[section] = dict(values)
        for name, value in values.items():
            old = saved.get(section, {}).get(name, value)
            if old != value and name not in OPERATIONAL:
                warnings.append(f"{section}.{name}: checkpoint has {old!r}, spec {value!r}")
                merged[section][name] = old
    resolved = msgspec.structs.replace(
        spec, model=msgspec.convert(merged["model"], ModelRef),
        lora=msgspec.convert(merged["lora"], LoraSettings),
        hyperparameters=msgspec.convert(merged["hyperparameters"], Hyperparameters))
    return resolved, warnings
