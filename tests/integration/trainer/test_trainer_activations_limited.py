"""Gradient checkpointing under a memory limit (trainer.activations), in trainer processes run
with RLIMIT_AS: the plan checkpoints only the layers that need it and learns the same, and an
out-of-memory step is redone (more layers checkpointed, then smaller passes), not failed. Moved
from tests/unit/trainer/test_trainer_activations.py: these start subprocesses."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from trainer_testkit import (
    ROOT,
    events,
    losses_by_step,
    make_job,
    one_step_in_passes,
    run,
    trainer_env,
    training_file,
    words,
)

from proto.training import StageChanged

# Address space for the deep model below: with no layer checkpointed a step peaked at 4.1–4.5
# GiB here, with every layer checkpointed at 2.5 GiB.
LIMIT = int(3.4 * 2**30)
DEEP_LAYERS = 24


# --- in a memory-limited process (RLIMIT_AS) ---------------------------------------------------


@pytest.fixture(scope="module")
def deep_model(tmp_path_factory: pytest.TempPathFactory, tokenizer: Any) -> Path:
    """24 narrow layers: activations, not logits or weights, decide whether a step fits."""
    from transformers import LlamaConfig, LlamaForCausalLM

    path = tmp_path_factory.mktemp("deep-llama")
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=256, intermediate_size=512,
        num_hidden_layers=DEEP_LAYERS, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=8192, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def deep_job(root: Path, deep_model: Path, mode: str) -> Path:
    """Four single-turn conversations of ~2,500 tokens with short targets: 2 steps."""
    long = {f"c{c}_turn1": {"current_user_input": words(c, 2500)} for c in range(4)}
    data = training_file(conversations=4, turns=1, target_words=20, bad=long)
    return make_job(root, data, model=str(deep_model), micro_batch_size=1, grad_accumulation=1,
                    max_seq_len=4096, epochs=1, gradient_checkpointing=mode)


def limited(spec: Path) -> Any:
    return run(spec, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT)))


@pytest.fixture(scope="module")
def unlimited_losses(tmp_path_factory: pytest.TempPathFactory, deep_model: Path) -> dict:
    root = tmp_path_factory.mktemp("unlimited")
    result = run(deep_job(root, deep_model, "none"))
    assert result.returncode == 0, result.stdout[-3000:]
    return losses_by_step(root)


def checkpointed_in_plan(root: Path) -> int:
    stage = next(e for e in events(root) if isinstance(e, StageChanged)
                 and e.detail.startswith("gradient checkpointing on "))
    return int(stage.detail.split()[3])


def test_under_a_memory_limit_the_plan_checkpoints_some_layers_and_learns_the_same(
        tmp_path: Path, deep_model: Path, unlimited_losses: dict) -> None:
    result = limited(deep_job(tmp_path, deep_model, "auto"))

    assert result.returncode == 0, result.stdout[-3000:]
    assert 0 < checkpointed_in_plan(tmp_path) < DEEP_LAYERS
    assert "out of memory" not in result.stdout  # the plan fitted: no step was redone
    assert losses_by_step(tmp_path) == pytest.approx(unlimited_losses, rel=1e-6)
    assert len(unlimited_losses) == 2


def test_a_step_that_runs_out_of_memory_is_redone_with_every_layer_checkpointed(
        tmp_path: Path, deep_model: Path, unlimited_losses: dict) -> None:
    result = limited(deep_job(tmp_path, deep_model, "none"))

    assert result.returncode == 0, result.stdout[-3000:]
    assert checkpointed_in_plan(tmp_path) == 0
    # Which step first overflows varies with the address space the process happens to use.
    assert re.search(rf"out of memory at step [12] with 0 of {DEEP_LAYERS} layers checkpointed",
                     result.stdout)
    assert losses_by_step(tmp_path) == pytest.approx(unlimited_losses, rel=1e-6)


def test_a_step_still_out_of_memory_with_every_layer_checkpointed_runs_in_smaller_passes(
        tmp_path: Path, deep_model: Path) -> None:
    # Four sequences of 730-1,030 tokens, every layer checkpointed. Past the loaded model a step
    # mapped 2.0 GiB at its peak in one pass of four (padded and masked), 1.05 in passes of two.
    # Blocks over 128 KiB are mapped and unmapped as tensors come and go, so that peak is the
    # tensors' own, not glibc's heap keeping freed blocks.
    code = ("import json, sys; from trainer_testkit import one_step_in_passes as step; "
            "print(json.dumps(step(*sys.argv[1:])))")
    env = {**trainer_env(), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
           "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
    limited_run = subprocess.run(
        [sys.executable, "-c", code, str(deep_model), str(tmp_path / "limited"), "4", "1.5"],
        capture_output=True, text=True, env=env, timeout=300)

    assert limited_run.returncode == 0, limited_run.stderr[-3000:]
    assert re.search(r"out of memory at step 1 with 24 of 24 layers checkpointed and 4 "
                     r"sequence\(s\) a pass .*: running 2 sequences a pass", limited_run.stderr)
    ended = json.loads(limited_run.stdout.splitlines()[-1])
    assert ended["rows_per_pass"] == 2
    reference = one_step_in_passes(str(deep_model), str(tmp_path / "reference"), "1")
    assert ended["loss"] == pytest.approx(reference["loss"], rel=1e-6)
    assert ended["grad_norm"] == pytest.approx(reference["grad_norm"], rel=1e-4)
