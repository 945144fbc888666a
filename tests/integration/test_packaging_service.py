"""The packaging service against real NATS, PostgreSQL, a file:// store and a real tiny adapter:
a completed job's bundle loads with plain transformers + peft in a process that does not import
this project; the package's inference.py answers (adapter applied) and serves OpenAI's API."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import msgspec
import pytest
from support import eventually, training_file

from libs.common.ports import free_port
from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import CreateJob, RegisterTrainingFile
from proto.packaging import ArtifactsBuilt, ListArtifacts
from proto.training import (
    Completed,
    Evaluation,
    LoraSettings,
    ModelRef,
    Progress,
    StageChanged,
    TrainingEventReported,
)
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.packaging.app import build as build_packaging

TINY = ModelRef(name="tiny-random-llama", quantization="none", parameter_count=3_200_000)
PROMPT = "I'm worried about my savings."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    return make_tiny(tmp_path_factory.mktemp("tiny"))


def make_tiny(root: Path) -> tuple[Path, Path]:
    """The tiny base model saved to a local dir (what a client's local copy is) and a LoRA on it
    with random (not zero) B matrices, so it changes the model's answers."""
    from peft import LoraConfig, get_peft_model

    from trainer import model

    tokenizer = model.load_tokenizer(model.tokenizer_source(TINY))
    base = model._tiny_llama(tokenizer)
    base.save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    import torch

    torch.manual_seed(7)
    settings = LoraSettings()  # the job's (defaults), so the model card describes this adapter
    lora = get_peft_model(base, LoraConfig(
        r=settings.r, lora_alpha=settings.alpha, target_modules=settings.target_modules,
        init_lora_weights=False, task_type="CAUSAL_LM"))
    with torch.no_grad():  # strong enough to change greedy tokens of a random model
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.mul_(10.0)
    lora.save_pretrained(root / "adapter")
    return root / "base", root / "adapter"


async def completed_job(bus, settings, adapter_dir: Path) -> uuid.UUID:
    store = open_store(settings.resolved_storage_url)
    key = f"training-files/{uuid.uuid4()}/file.json"
    store.put_bytes(key, training_file())
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(training_file())))
    job = await bus.ask(CreateJob(training_file_id=file["id"], model=TINY, name="Advisor v1"))
    job_id = uuid.UUID(job["id"])
    for name in os.listdir(adapter_dir):
        store.put_file(f"jobs/{job_id}/adapter/{name}", adapter_dir / name)
    for seq, event in enumerate((
            StageChanged(job_id=job_id, stage="training"),
            Progress(job_id=job_id, step=1, total_steps=2, epoch=0.5, loss=2.5, learning_rate=1e-4),
            Progress(job_id=job_id, step=2, total_steps=2, epoch=1.0, loss=1.9, learning_rate=5e-5),
            Evaluation(job_id=job_id, step=2, epoch=1.0, val_loss=2.1, perplexity=8.17),
            Completed(job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", steps=2)), 1):
        await bus.publish(TrainingEventReported(event=msgspec.structs.replace(event, seq=seq)))
    return job_id


async def built(bus, job_id: uuid.UUID) -> ArtifactsBuilt:
    async def check():
        events = [decode(b, ArtifactsBuilt) for b in await bus.stored(ArtifactsBuilt.subject)]
        return next((e for e in events if e.job_id == job_id), None)

    return await eventually(check, timeout_s=90)


@pytest.fixture
async def packaged(start_service, bus, settings, tiny, tmp_path):
    for build in (build_jobs, build_cost, build_monitoring, build_packaging):  # cost: CreateJob
        await start_service(build)
    job_id = await completed_job(bus, settings, tiny[1])
    event = await built(bus, job_id)
    store = open_store(settings.resolved_storage_url)
    out = {}
    for ref in event.artifacts:
        target = tmp_path / ref.kind
        store.get_file(ref.key, tmp_path / f"{ref.kind}.zip")
        with zipfile.ZipFile(tmp_path / f"{ref.kind}.zip") as archive:
            archive.extractall(target)
        out[ref.kind] = target
    return job_id, event, out


def isolated(args: list[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 300) -> str:
    """A python process that cannot import this project: -I (no cwd, no PYTHONPATH), run
    from the unpacked folder."""
    result = subprocess.run([sys.executable, "-I", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


LOAD_BUNDLE = """
import json, sys
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
assert not any(m.split('.')[0] in ('services', 'libs', 'trainer', 'proto') for m in sys.modules)
base = AutoModelForCausalLM.from_pretrained(sys.argv[1]); tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = PeftModel.from_pretrained(base, ".")
ids = tok("Hello there", return_tensors="pt")["input_ids"]
with_adapter = model(ids).logits
with model.disable_adapter():
    without = model(ids).logits
print(json.dumps({"changed": float((with_adapter - without).abs().max()),
                  "base": json.load(open("adapter_config.json"))["base_model_name_or_path"]}))
"""


async def test_completed_job_is_packaged_and_the_package_runs(packaged, bus, tiny):
    job_id, event, out = packaged
    assert event.version == 1
    assert {r.kind for r in event.artifacts} == {"adapter-bundle", "deployment-package"}
    assert all(len(r.sha256) == 64 and r.size_bytes > 0 for r in event.artifacts)
    view = await bus.ask(ListArtifacts(job_id=job_id))
    assert [a["status"] for a in view["artifacts"]] == ["ready", "ready"]

    bundle = out["adapter-bundle"]
    assert {p.name for p in bundle.iterdir()} >= {
        "adapter_model.safetensors", "adapter_config.json", "README.md", "README.txt",
        "training_summary.json"}
    card = (bundle / "README.md").read_text()
    assert "[More Information Needed]" not in card, card
    assert "r=16" in card and "1.9000" in card, card
    summary = json.loads((bundle / "training_summary.json").read_text())
    assert summary["final_metrics"]["final_val_loss"] == 2.1
    assert summary["validation"]["headline"] == "validation not run"
    assert summary["data"]["conversation_count"] == 55
    loaded = json.loads(await asyncio.to_thread(
        isolated, ["-c", LOAD_BUNDLE, str(tiny[0])], bundle))
    assert loaded["base"] == "tiny-random-llama" and loaded["changed"] > 1e-3

    package = out["deployment-package"]
    assert (package / "adapters" / "adapter_model.safetensors").exists()
    requirements = (package / "requirements.txt").read_text().split()
    assert [r.split("==")[0] for r in requirements] == [
        "torch", "transformers", "peft", "accelerate", "safetensors"]
    readme = (package / "README.md").read_text()
    for needle in ("GPU requirements", "vllm serve", "text-generation-inference", "aws ec2",
                   "gcloud compute", "az vm create", "PeftModel", "Troubleshooting",
                   "BRIGHTRUN_BASE_MODEL_PATH"):
        assert needle in readme, needle
    prompts = json.loads((package / "example_prompts.json").read_text())
    assert 1 <= len(prompts) <= 10 and all(p["prompt"] for p in prompts)
    assert (package / "validation_summary.json").exists()

    env = {"BRIGHTRUN_BASE_MODEL_PATH": str(tiny[0])}
    args = ["inference.py", PROMPT, "--max-new-tokens", "12"]
    trained = await asyncio.to_thread(isolated, args, package, env)
    base_only = await asyncio.to_thread(isolated, [*args, "--no-adapter"], package, env)
    assert trained.strip() and trained != base_only
    await asyncio.to_thread(_openai_round_trip, package, env, trained.strip())


def _openai_round_trip(package: Path, env: dict[str, str], expected: str) -> None:
    from openai import OpenAI

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-I", "inference.py", "--serve", "--port", str(port)], cwd=package,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        seen = []  # warnings and progress bars come first; the server says when it listens
        while not seen or "Serving on" not in seen[-1]:
            line = server.stdout.readline()
            assert line, "".join(seen)[-3000:]  # it exited without serving
            seen.append(line)
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused")
        assert [m.id for m in client.models.list().data] == ["brightrun-adapter"]
        reply = client.chat.completions.create(
            model="brightrun-adapter", messages=[{"role": "user", "content": PROMPT}],
            max_tokens=12)
        assert reply.choices[0].message.content == expected  # greedy: same as the CLI
    finally:
        server.terminate()
        server.wait(timeout=30)
