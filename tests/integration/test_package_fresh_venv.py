"""The deployment package on a fresh Python, exactly as its README says: `python -m venv`,
`pip install -r requirements.txt` (from the registries pip is configured with here), then
`python inference.py "prompt"` with the base model from a local copy. Prints the install and
first-answer times (figures for issue 14, not assertions)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from libs.common.storage import LocalDirStore

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 1500
         ) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout


def test_package_installs_and_answers_in_a_fresh_venv(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_packaging_service import PROMPT, make_tiny

    from benchmarks.artifact_build import contents
    from proto.jobs import JobView
    from services.packaging import bundle

    base_dir, adapter_dir = make_tiny(tmp_path)
    store = LocalDirStore(tmp_path / "store")
    job = _tiny_job(JobView)
    for name in os.listdir(adapter_dir):
        store.put_file(f"{job.adapter_key}/{name}", adapter_dir / name)
    ref = next(r for r in bundle.build(store, job.id, 1, job.adapter_key, contents(job))
               if r.kind == "deployment-package")
    package = tmp_path / "package"
    store.get_file(ref.key, tmp_path / "package.zip")
    with zipfile.ZipFile(tmp_path / "package.zip") as archive:
        archive.extractall(package)

    started = time.perf_counter()
    _run([sys.executable, "-m", "venv", ".venv"], package)
    venv_python = str(package / ".venv" / "bin" / "python")
    _run([venv_python, "-m", "pip", "install", "-q", "-r", "requirements.txt"], package)
    installed = time.perf_counter() - started
    answer = _run([venv_python, "inference.py", PROMPT, "--max-new-tokens", "12"], package,
                  {"BRIGHTRUN_BASE_MODEL_PATH": str(base_dir)})
    answered = time.perf_counter() - started - installed
    print(f"\nfresh venv: install {installed:.0f} s, first answer {answered:.1f} s: {answer!r}")
    assert answer.strip()
    base_only = _run([venv_python, "inference.py", PROMPT, "--max-new-tokens", "12",
                      "--no-adapter"], package, {"BRIGHTRUN_BASE_MODEL_PATH": str(base_dir)})
    assert base_only != answer


def _tiny_job(job_view: type):
    from datetime import UTC, datetime

    from proto.training import Hyperparameters, LoraSettings, ModelRef

    job_id = uuid.uuid4()
    return job_view(
        id=job_id, name="Fresh venv", description="", notes="", tags=[],
        training_file_id=uuid.uuid4(), training_file_name="f", preset="balanced",
        model=ModelRef(name="tiny-random-llama", parameter_count=3_200_000),
        lora=LoraSettings(), hyperparameters=Hyperparameters(), gpu_type="cpu", pricing="spot",
        status="completed", status_message="", attempt=1, created_at=datetime.now(UTC),
        started_at=None, finished_at=None, adapter_key=f"jobs/{job_id}/adapter", error=None,
        estimate=None)
