"""Writing the artifacts (I/O): the adapter bundle and the deployment package, as zips.

Each zip is written to a temporary file, files streamed into it from disk, hashed in pieces and
uploaded with `put_file`: a multi-gigabyte adapter never sits whole in memory.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from libs.common.storage import ObjectStore
from proto.packaging import ArtifactKind, ArtifactRef
from services.packaging import cards, domain, instructions
from services.packaging.domain import BaseModel, TrainingSummary

INFERENCE_SCRIPT = Path(__file__).with_name("files") / "inference.py"
WEIGHTS = "adapter_model.safetensors"


def installed_versions() -> dict[str, str]:
    """What this platform runs: the versions a package's requirements.txt pins."""
    out = {}
    for name in domain.RUNTIME_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


class Contents(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an artifact holds besides the adapter's own files."""

    summary: TrainingSummary
    needs: instructions.GpuNeeds
    prompts: list[dict[str, Any]]
    validation: dict[str, Any] | None  # the validation service's full answer, if any
    versions: dict[str, str]


def fetch_adapter(store: ObjectStore, adapter_key: str, base: BaseModel, into: Path) -> Path:
    """The trained adapter's files, its config rewritten to name the base model portably."""
    prefix = adapter_key.rstrip("/") + "/"
    keys = store.list(prefix)
    if not any(k.endswith(WEIGHTS) for k in keys):
        raise FileNotFoundError(f"no {WEIGHTS} under {prefix} in object storage")
    for key in keys:
        store.get_file(key, into / key[len(prefix):])
    config_path = into / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps(domain.adapter_config(config, base), indent=2) + "\n")
    return into


def build(store: ObjectStore, job_id: Any, version: int, adapter_key: str,
          c: Contents) -> list[ArtifactRef]:
    with tempfile.TemporaryDirectory(prefix="brightrun-package-") as tmp:
        work = Path(tmp)
        adapter = fetch_adapter(store, adapter_key, c.summary.base_model, work / "adapter")
        refs = []
        for kind, write in (("adapter-bundle", _adapter_bundle),
                            ("deployment-package", _deployment_package)):
            path = work / f"{kind}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                write(archive, adapter, c)
            refs.append(_upload(store, domain.artifact_key(job_id, version, kind), path, kind,
                                domain.filename(c.summary.job_name, kind)))
        return refs


def _adapter_files(archive: zipfile.ZipFile, adapter: Path, c: Contents, prefix: str) -> None:
    for path in sorted(adapter.rglob("*")):
        if path.is_file() and path.name != "README.md":  # peft's empty card: ours replaces it
            # Weights barely compress; storing them saves the time deflate would spend.
            kind = zipfile.ZIP_STORED if path.suffix == ".safetensors" else zipfile.ZIP_DEFLATED
            archive.write(path, prefix + str(path.relative_to(adapter)), compress_type=kind)
    archive.writestr(prefix + "README.md", cards.model_card(c.summary))


def _adapter_bundle(archive: zipfile.ZipFile, adapter: Path, c: Contents) -> None:
    _adapter_files(archive, adapter, c, "")
    archive.writestr("README.txt", cards.readme_txt(c.summary))
    archive.writestr("training_summary.json", _json(c.summary))


def _deployment_package(archive: zipfile.ZipFile, adapter: Path, c: Contents) -> None:
    _adapter_files(archive, adapter, c, "adapters/")
    archive.write(INFERENCE_SCRIPT, "inference.py")
    archive.writestr("requirements.txt", domain.requirements(c.versions))
    archive.writestr("README.md", instructions.readme(c.summary, c.needs))
    archive.writestr("example_prompts.json", _json(c.prompts))
    archive.writestr("training_summary.json", _json(c.summary))
    archive.writestr("validation_summary.json", _json(
        {"summary": c.summary.validation, "detail": c.validation}))


def _json(value: Any) -> bytes:
    return msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"


def _upload(store: ObjectStore, key: str, path: Path, kind: ArtifactKind,
            filename: str) -> ArtifactRef:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    store.put_file(key, path)
    return ArtifactRef(kind=kind, key=key, size_bytes=path.stat().st_size,
                       sha256=digest.hexdigest(), filename=filename)
