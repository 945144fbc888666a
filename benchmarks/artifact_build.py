"""Packaging figures (issue 14): how long a job's two artifacts take to build, and how long the
metrics export takes to write 100,000 rows.

The build is the real one (services/packaging/bundle.build) into a file:// store, from an
adapter of --adapter-mb megabytes of float32 tensors in peft's layout (the spec's adapters run
200–500 MB); the export is the gateway's CSV and JSON writers fed page by page as the
monitoring RPC pages them (the HTTP path end to end is timed by
tests/integration/test_artifact_downloads.py, which prints its figure).

    .venv/bin/python benchmarks/artifact_build.py --adapter-mb 200 --rows 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from libs.common.storage import LocalDirStore  # noqa: E402
from proto.jobs import JobView  # noqa: E402
from proto.monitoring import MetricsRow  # noqa: E402
from proto.training import Hyperparameters, LoraSettings, ModelRef  # noqa: E402
from services.gateway.artifacts import PAGE_ROWS, csv_chunks, json_chunks  # noqa: E402
from services.packaging import bundle, domain, instructions  # noqa: E402
from trainer.model import EMBEDDED_HUB_IDS  # noqa: E402


def fake_adapter(store: LocalDirStore, key: str, megabytes: int, work: Path) -> None:
    import torch
    from safetensors.torch import save_file

    per = 4 * 1024 * 1024  # 4 MB tensors
    tensors = {f"base_model.model.layers.{i}.lora_A.weight": torch.randn(per // 4)
               for i in range(max(1, megabytes // 4))}
    save_file(tensors, work / "adapter_model.safetensors")
    (work / "adapter_config.json").write_text(json.dumps(
        {"base_model_name_or_path": "/root/.cache/brightrun/models/smollm2-135m-instruct",
         "peft_type": "LORA", "r": 16, "lora_alpha": 32}))
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        store.put_file(f"{key}/{name}", work / name)


def contents(job: JobView) -> bundle.Contents:
    base = domain.base_model(job.model.name, EMBEDDED_HUB_IDS)
    versions = bundle.installed_versions()
    summary = domain.training_summary(job, domain.FinalMetrics(steps=100, final_train_loss=1.2),
                                      domain.NOT_RUN, {"conversation_count": 55}, base, versions)
    needs = instructions.gpu_needs(job.model.parameter_count, job.lora.r,
                                   list(job.lora.target_modules), 2048)
    prompts = [{"id": str(i), "prompt": f"question {i}"} for i in range(10)]
    return bundle.Contents(summary=summary, needs=needs, prompts=prompts, validation=None,
                           versions=versions)


def build_time(megabytes: int) -> tuple[float, dict[str, int]]:
    job = JobView(id=uuid.uuid4(), name="Benchmark job", description="", notes="", tags=[],
                  training_file_id=uuid.uuid4(), training_file_name="f", preset="balanced",
                  model=ModelRef(), lora=LoraSettings(), hyperparameters=Hyperparameters(),
                  gpu_type="cpu", pricing="spot", status="completed", status_message="",
                  attempt=1, created_at=datetime.now(UTC), started_at=None, finished_at=None,
                  adapter_key="jobs/x/adapter", error=None, estimate=None)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalDirStore(Path(tmp) / "store")
        fake_adapter(store, job.adapter_key, megabytes, Path(tmp))
        started = time.perf_counter()
        refs = bundle.build(store, job.id, 1, job.adapter_key, contents(job))
        return time.perf_counter() - started, {r.kind: r.size_bytes for r in refs}


async def export_time(rows: int, writer: str) -> tuple[float, int]:
    at = datetime.now(UTC)

    async def pages():
        for first in range(1, rows + 1, PAGE_ROWS):
            yield [MetricsRow(s, s / 1000, 2.0, None if s % 100 else 1.9, 2e-4,
                              None if s % 100 else 6.7, 87.5, 10**9, at + timedelta(seconds=s))
                   for s in range(first, min(first + PAGE_ROWS, rows + 1))]

    started, size = time.perf_counter(), 0
    chunks = csv_chunks(pages()) if writer == "csv" else json_chunks(uuid.uuid4(), pages())
    async for chunk in chunks:
        size += len(chunk)
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adapter-mb", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    seconds, sizes = build_time(args.adapter_mb)
    print(f"package build ({args.adapter_mb} MB adapter, bundle + deployment package): "
          f"{seconds:.2f} s; sizes " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))
    for writer in ("csv", "json"):
        seconds, size = asyncio.run(export_time(args.rows, writer))
        print(f"metrics export, {writer}, {args.rows:,} rows: {seconds:.2f} s, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
