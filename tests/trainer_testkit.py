"""Test-side helpers for the trainer: tiny training files, job specs, runs in- and out-of-process,
and the model-cache fixtures that tests/unit/trainer and tests/integration/trainer both use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from libs.common.training_format import TrainingPair, Turn
from proto.training import Failed, Progress
from trainer.report import read_events

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("plan budget savings retire invest goal worry family house debt income tax pension "
         "mortgage college insurance").split()


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A session cache unless the developer points BRIGHTRUN_MODEL_CACHE at a warm one
    (converting the embedded GGUF tokenizer costs ~5 s, the model ~20 s). Both trainer test
    folders' conftests import this: the second sees the first's cache in the environment."""
    given = os.environ.get("BRIGHTRUN_MODEL_CACHE")
    path = Path(given) if given else tmp_path_factory.mktemp("models")
    os.environ["BRIGHTRUN_MODEL_CACHE"] = str(path)
    yield path
    if not given:
        del os.environ["BRIGHTRUN_MODEL_CACHE"]


@pytest.fixture(scope="session")
def tokenizer(model_cache: Path) -> Any:
    from proto.training import ModelRef
    from trainer import model

    return model.load_tokenizer(model.tokenizer_source(ModelRef(name=model.TINY)))


def words(seed: int, n: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3 + i * i) % len(WORDS)] for i in range(n))


def pair(pid: str, conversation: str = "conv-1", history: list[tuple[str, str]] = (),
         user: str = "How should I save?", target: str | None = "Start with a budget.",
         system: str = "You are a calm financial advisor.") -> TrainingPair:
    return TrainingPair(id=pid, conversation_id=conversation, turn_number=len(history) // 2 + 1,
                        system_prompt=system, history=[Turn(r, c) for r, c in history],
                        current_user_input=user, target_response=target)


def training_file(conversations: int = 8, turns: int = 5, target_words: int = 16,
                  bad: dict[str, dict[str, Any]] | None = None) -> bytes:
    """An aggregated brightrun-lora-v4 file; every 4th turn has a null target (context only).
    `bad` patches named pairs (by id) with raw fields, to plant defects."""
    convs = []
    for c in range(conversations):
        cid = str(uuid.UUID(int=c + 1))
        pairs, history = [], []
        for t in range(1, turns + 1):
            user = f"Client {c} turn {t}: {words(c + t, 10)}"
            target = None if t % 4 == 0 else f"Advisor {c}.{t}: {words(c * t + 1, target_words)}"
            raw = {"id": f"c{c}_turn{t}", "conversation_id": cid, "turn_number": t,
                   "system_prompt": "You are a calm financial advisor.",
                   "conversation_history": list(history), "current_user_input": user,
                   "target_response": target}
            raw.update((bad or {}).get(raw["id"], {}))
            pairs.append(raw)
            history += [{"turn": t, "role": "user", "content": user},
                        {"turn": t, "role": "assistant", "content": target or "I see."}]
        convs.append({"conversation_metadata": {"conversation_id": cid}, "training_pairs": pairs})
    return json.dumps({"training_file_metadata": {"format_spec": "brightrun-lora-v4"},
                       "consultant_profile": {"name": "Test Advisor"},
                       "conversations": convs}).encode()


def make_job(root: Path, data: bytes | None = None, *, webhook_url: str | None = None,
             model: str = "tiny-random-llama", lora: dict[str, Any] | None = None,
             stop_grace_s: float = 30.0, **hyperparameters: Any) -> Path:
    """A store under `root/store` holding the training file, and `root/spec.json`."""
    store = root / "store"
    (store / "files").mkdir(parents=True, exist_ok=True)
    (store / "files" / "train.json").write_bytes(data if data is not None else training_file())
    hp = {"epochs": 2, "micro_batch_size": 2, "grad_accumulation": 2, "max_seq_len": 128,
          "learning_rate": 1e-3, "checkpoint_every_steps": 3, "seed": 7, **hyperparameters}
    spec = {"job_id": str(uuid.uuid4()), "model": {"name": model, "parameter_count": 3_300_000},
            "lora": {"r": 8, "alpha": 16, "dropout": 0.1, **(lora or {})},
            "hyperparameters": hp, "training_file_key": "files/train.json",
            "output_prefix": "jobs/test", "storage": {"url": store.as_uri()},
            "webhook_url": webhook_url or (root / "events.jsonl").as_uri(),
            "webhook_secret": "test-secret", "heartbeat_s": 0.5, "stop_grace_s": stop_grace_s}
    path = root / "spec.json"
    path.write_text(json.dumps(spec))
    return path


def events(root: Path) -> list[Any]:
    path = root / "events.jsonl"
    return read_events(path) if path.exists() else []


def losses_by_step(root: Path) -> dict[int, float]:
    """Per-step loss; a step reported twice (replayed after a resume) keeps its latest value."""
    return {e.step: e.loss for e in events(root) if isinstance(e, Progress)}


def failure(root: Path) -> Failed:
    return next(e for e in reversed(events(root)) if isinstance(e, Failed))


def trainer_env() -> dict[str, str]:
    # Two threads, as on the CI box: runs that are compared must share their thread count.
    return {**os.environ, "OMP_NUM_THREADS": "2", "PYTHONPATH": str(ROOT)}


def start(spec: Path, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "trainer", "run", "--spec", str(spec)],
                            cwd=ROOT, env=trainer_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def run(spec: Path, timeout: float = 120, **popen: Any) -> subprocess.CompletedProcess:
    process = start(spec, **popen)
    out, _ = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out)


def run_until(spec: Path, condition: Callable[[list[Any]], bool], sig: int,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """Start a run and send `sig` once its events satisfy `condition`."""
    process = start(spec)
    deadline = time.monotonic() + timeout
    root = spec.parent
    while process.poll() is None and time.monotonic() < deadline:
        if condition(events(root)):
            process.send_signal(sig)
            break
        time.sleep(0.02)
    out, _ = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out)


def run_in_process(spec: Path) -> int:
    """recipe.main in this process (fast: torch already imported); the SIGTERM handler it
    installs is put back afterwards."""
    from trainer import recipe

    previous = signal.getsignal(signal.SIGTERM)
    try:
        return recipe.main(spec)
    finally:
        signal.signal(signal.SIGTERM, previous)


def load_spec(path: Path) -> Any:
    from proto.training import TrainingJobSpec

    return msgspec.json.decode(path.read_bytes(), type=TrainingJobSpec)


def one_step_run(root: Path, peft_model: Any, train: list[Any], rows: int, pad_id: int) -> Any:
    """A loop.Run for one step over `train` in passes of `rows`, the spec a test job's: what
    loop.accumulate and accumulate_fitting read, without the recipe's storage and reporting."""
    from trainer import loop, model
    from trainer.checkpoint import TrainerState
    from trainer.data import PreparedData

    spec = load_spec(make_job(root))
    optimizer = loop.make_optimizer(model.trainable_parameters(peft_model), spec)
    return loop.Run(spec=spec, model=peft_model, optimizer=optimizer, scheduler=None,
                    data=PreparedData(train=train, val=[]),
                    state=TrainerState(rows_per_pass=rows), reporter=None, store=None,
                    stop=loop.StopFlag(), device="cpu", pad_id=pad_id, total_steps=1,
                    capped=True)


def one_step_in_passes(model_path: str, root: str, rows: str, headroom_gib: str = "") -> dict:
    """One step of four sequences (two micro-batches) through loop.accumulate_fitting, every
    layer checkpointed, starting at `rows` sequences a pass: the loss, the gradient's norm, and
    the pass size the step ended with. With `headroom_gib`, once the model is loaded the process
    may map only that much more memory (RLIMIT_AS): run it in a process of its own."""
    import resource

    import torch

    from proto.training import LoraSettings
    from trainer import activations, loop, model
    from trainer.data import build_example

    tokenizer = model.load_tokenizer(model_path)
    lora = model.attach_lora(model.load_base(model_path, tokenizer, "cpu", False),
                             LoraSettings(r=8, alpha=16, dropout=0.0), 1, "cpu", False)
    activations.checkpoint_layers(lora, len(activations.decoder_layers(lora)))
    train = [build_example(pair(f"c{c}_turn1", conversation=f"c{c}", user=words(c, 700 + 100 * c)),
                           tokenizer, 4096)[0] for c in range(4)]
    run = one_step_run(Path(root), lora, train, int(rows), tokenizer.pad_token_id)
    params = model.trainable_parameters(lora)
    if headroom_gib:
        limit = _mapped_bytes() + int(float(headroom_gib) * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    loss, _ = loop.accumulate_fitting(run, [[0, 1], [2, 3]])
    grad_norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])).item()
    return {"loss": loss, "grad_norm": grad_norm, "rows_per_pass": run.state.rows_per_pass}


def _mapped_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmSize:")).split()[1]) * 1024
