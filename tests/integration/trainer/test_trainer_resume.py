"""Exact resume: a run killed at any step and resumed from its checkpoint trains exactly as an
uninterrupted run — same per-step losses, same final adapter."""

from __future__ import annotations

import random
import signal
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from trainer_testkit import (
    events,
    failure,
    losses_by_step,
    make_job,
    run,
    run_in_process,
    run_until,
)

from proto.training import CheckpointSaved, Completed, Progress
from trainer import model

# 3 epochs of 6 steps, 2 micro-batches each, dropout 0.1: crosses epoch ends and accumulation.
RUN = {"epochs": 3, "micro_batch_size": 2, "grad_accumulation": 2, "checkpoint_every_steps": 2}
ADAPTER = "store/jobs/test/adapter/adapter_model.safetensors"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uninterrupted")
    result = run(make_job(root, **RUN))
    assert result.returncode == 0, result.stdout
    return root


def reached(step: int):  # noqa: ANN201 - a predicate over the events so far
    return lambda seen: any(isinstance(e, Progress) and e.step >= step for e in seen)


def assert_same_training(resumed: Path, baseline: Path, note: str) -> None:
    expected, got = losses_by_step(baseline), losses_by_step(resumed)
    assert sorted(got) == sorted(expected), note
    for step, loss in expected.items():
        assert got[step] == pytest.approx(loss, rel=1e-6, abs=1e-7), f"{note}: step {step}"
    want, have = load_file(baseline / ADAPTER), load_file(resumed / ADAPTER)
    assert want.keys() == have.keys()
    for name in want:
        torch.testing.assert_close(have[name], want[name], rtol=1e-6, atol=1e-7, msg=name)
    assert isinstance(events(resumed)[-1], Completed)


def test_sigkill_at_a_random_step_then_resume_gives_the_same_losses_and_adapter(
        uninterrupted: Path, tmp_path: Path) -> None:
    total = max(losses_by_step(uninterrupted))
    # After the first checkpoint is surely written: step 2's progress is reported before its
    # checkpoint, so a kill "at step 2" could land before any checkpoint exists.
    kill_at = random.randint(RUN["checkpoint_every_steps"] + 1, total - 2)
    spec = make_job(tmp_path, **RUN)

    killed = run_until(spec, reached(kill_at), signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL, killed.stdout
    resumed = run(spec)

    assert resumed.returncode == 0, resumed.stdout
    assert "resumed from step-" in resumed.stdout + "".join(
        e.detail for e in events(tmp_path) if getattr(e, "stage", "") == "training")
    assert_same_training(tmp_path, uninterrupted, f"killed at step >= {kill_at}")


def test_sigterm_checkpoints_reports_interrupted_and_resume_continues_exactly(
        uninterrupted: Path, tmp_path: Path) -> None:
    stop_at = random.randint(2, max(losses_by_step(uninterrupted)) - 2)
    spec = make_job(tmp_path, **RUN)

    stopped = run_until(spec, reached(stop_at), signal.SIGTERM)

    assert stopped.returncode == 143, stopped.stdout
    saved = [e for e in events(tmp_path) if isinstance(e, CheckpointSaved)][-1]
    failed = failure(tmp_path)
    assert saved.reason == "sigterm" and saved.step >= stop_at
    assert failed.failure_class == "interrupted"
    assert failed.last_checkpoint_key == saved.key and failed.step == saved.step
    resumed = run(spec)
    assert resumed.returncode == 0, resumed.stdout
    assert_same_training(tmp_path, uninterrupted, f"stopped at step {saved.step}")


def test_a_grace_too_short_for_a_save_stops_on_the_last_checkpoint_and_resumes_exactly(
        uninterrupted: Path, tmp_path: Path) -> None:
    """RunPod gives 5 s between SIGTERM and SIGKILL: a save that would not fit is not begun."""
    stop_at = random.randint(RUN["checkpoint_every_steps"] + 1, max(losses_by_step(uninterrupted)) - 2)
    spec = make_job(tmp_path, stop_grace_s=0.01, **RUN)

    stopped = run_until(spec, reached(stop_at), signal.SIGTERM)

    assert stopped.returncode == 143, stopped.stdout
    saved = [e for e in events(tmp_path) if isinstance(e, CheckpointSaved)]
    written = {e.key for e in saved if e.reason == "interval"}
    assert all(e.key in written for e in saved)  # no checkpoint written after the SIGTERM
    failed = failure(tmp_path)
    assert failed.failure_class == "interrupted"
    assert failed.last_checkpoint_key == saved[-1].key and saved[-1].step < stop_at + 2
    resumed = run(spec)
    assert resumed.returncode == 0, resumed.stdout
    assert_same_training(tmp_path, uninterrupted, f"stopped after step {failed.step}")


def test_dropout_is_on_from_step_1_even_for_a_model_loaded_in_eval_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # from_pretrained returns models in eval mode; the tiny model is built in train mode.
    reference = make_job(tmp_path / "train-mode", epochs=1, checkpoint_every_steps=100)
    assert run_in_process(reference) == 0
    load_base = model.load_base
    monkeypatch.setattr(model, "load_base", lambda *a, **k: load_base(*a, **k).eval())
    as_pretrained = make_job(tmp_path / "eval-mode", epochs=1, checkpoint_every_steps=100)

    assert run_in_process(as_pretrained) == 0

    assert losses_by_step(as_pretrained.parent) == losses_by_step(reference.parent)
