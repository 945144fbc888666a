"""Gradient checkpointing on as few layers as memory needs (trainer.activations): it changes
what a step keeps in memory, never what it learns — and an out-of-memory step is redone, not
failed, while some layers still keep their activations."""

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
    pair,
    run,
    trainer_env,
    training_file,
    words,
)

from libs.common.memory import estimate_training_memory, layers_to_checkpoint
from proto.training import LoraSettings, StageChanged
from trainer import activations, loop, model
from trainer.batching import collate
from trainer.data import IGNORE_INDEX, Example, build_example

# Address space for the deep model below: with no layer checkpointed a step peaked at 4.1–4.5
# GiB here, with every layer checkpointed at 2.5 GiB.
LIMIT = int(3.4 * 2**30)
DEEP_LAYERS = 24


def lora_model(tokenizer: Any) -> Any:
    base = model.load_base(None, tokenizer, "cpu", False)
    return model.attach_lora(base, LoraSettings(r=4, alpha=8, dropout=0.1), 1, "cpu", False)


def gradients(peft_model: Any, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    torch.manual_seed(5)  # the same dropout masks for every variant
    summed, _ = loop.loss_sum(peft_model, batch)
    summed.backward()
    params = model.trainable_parameters(peft_model)
    grads = [p.grad.clone() for p in params]
    for p in params:
        p.grad = None
    return grads


def test_checkpointing_any_number_of_layers_leaves_the_gradient_unchanged(tokenizer: Any) -> None:
    peft_model = lora_model(tokenizer).train()
    example = build_example(pair("c0_turn1", user="Tell me more. " * 20), tokenizer, 512)[0]
    batch = collate([example], tokenizer.pad_token_id)

    activations.checkpoint_layers(peft_model, 0)
    expected = gradients(peft_model, batch)
    for count in (1, 2):
        activations.checkpoint_layers(peft_model, count)
        assert activations.checkpointed(peft_model) == count
        # Recompute replays the dropout masks (torch keeps the RNG state for it).
        for got, want in zip(gradients(peft_model, batch), expected, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)


def test_no_gradient_is_asked_of_the_embeddings(tokenizer: Any) -> None:
    # Only reentrant checkpointing needs one; transformers and peft both install the hook.
    embeddings = lora_model(tokenizer).get_input_embeddings()
    assert not embeddings(torch.tensor([[1, 2, 3]])).requires_grad


def test_the_probe_measures_about_what_the_estimator_assumes_and_disturbs_nothing(
        tokenizer: Any) -> None:
    peft_model = lora_model(tokenizer).eval()
    activations.checkpoint_layers(peft_model, 1)
    torch.manual_seed(3)
    expected_draw = torch.rand(4)
    torch.manual_seed(3)

    measured = activations.saved_bytes_per_layer_token(peft_model, "cpu")

    assert torch.equal(torch.rand(4), expected_draw)  # the probe's dropout used a forked RNG
    assert activations.checkpointed(peft_model) == 1 and not peft_model.training
    assumed = activations.estimated_bytes_per_layer_token(peft_model)
    assert 0.8 < measured / assumed < 1.25, (measured, assumed)


def test_the_plan_checkpoints_the_fewest_layers_whose_activations_fit() -> None:
    shape = {"layers": 10, "tokens": 1000, "saved_per_layer_token": 100,
             "kept_per_layer_token": 10}
    # 6 checkpointed (10 kB each) and 4 keeping theirs (100 kB): backward reaches the
    # checkpointed ones, and recomputes them one by one, after those 4 are freed.
    exactly = 6 * 10_000 + 4 * 100_000

    assert layers_to_checkpoint(budget_bytes=10**12, **shape) == 0
    assert layers_to_checkpoint(budget_bytes=exactly, **shape) == 6
    assert layers_to_checkpoint(budget_bytes=exactly - 1, **shape) == 7
    # Checkpointing the last layer too would not lower the peak: its recompute would come
    # while nothing else is freed yet. When nothing fits, the plan takes the least.
    assert layers_to_checkpoint(budget_bytes=9 * 10_000 + 100_000, **shape) == 9
    assert layers_to_checkpoint(budget_bytes=0, **shape) == 9


def sequences(count: int, tokens: int = 512, targets: int = 64) -> list[Example]:
    labels = [IGNORE_INDEX] * (tokens - targets) + [7] * targets
    return [Example(f"p{i}", f"c{i}", [7] * tokens, labels) for i in range(count)]


def test_a_set_mode_overrides_the_fit_and_a_tight_budget_checkpoints_every_layer(
        tokenizer: Any) -> None:
    peft_model, one = lora_model(tokenizer), sequences(1)

    assert activations.plan(peft_model, "cpu", examples=one, sizes=[1], mode="none"
                            ).checkpointed == 0
    assert activations.plan(peft_model, "cpu", examples=one, sizes=[1]).checkpointed == 0
    tight = activations.plan(peft_model, "cpu", examples=one, sizes=[1], budget_bytes=2**20)
    assert tight.checkpointed == 1 == activations.checkpointed(peft_model)  # the least it can
    assert "1 of 2 layers, 1 sequence a pass" in tight.describe()
    assert activations.plan(peft_model, "cpu", examples=one, sizes=[1], mode="all"
                            ).checkpointed == 2


def test_a_step_runs_in_as_few_passes_as_fit(tokenizer: Any) -> None:
    peft_model, step = lora_model(tokenizer), sequences(8)

    def rows(budget: int | None) -> int:
        return activations.plan(peft_model, "cpu", examples=step, sizes=[8, 4],
                                budget_bytes=budget).rows_per_pass

    roomy = activations.plan(peft_model, "cpu", examples=step, sizes=[8, 4])
    assert (roomy.rows_per_pass, roomy.checkpointed) == (8, 0)
    assert "8 sequences a pass" in roomy.describe()
    assert rows(2**20) == 4  # nothing fits: the smallest passes, and the least they need
    low, high = 2**20, 2**34  # the least memory in which a whole step fits one pass
    while high - low > 1:
        low, high = (low, (low + high) // 2) if rows((low + high) // 2) == 8 else \
            ((low + high) // 2, high)
    assert rows(low) == 4 and rows(high) == 8
    # There, one pass of 8 checkpoints more layers than two passes of 4 would need.
    fewer_rows = activations.plan(peft_model, "cpu", examples=step, sizes=[4], budget_bytes=high)
    assert activations.plan(peft_model, "cpu", examples=step, sizes=[8, 4], budget_bytes=high
                            ).checkpointed >= fewer_rows.checkpointed


def test_the_estimate_falls_as_layers_are_checkpointed() -> None:
    def activations_bytes(checkpointed: int | None) -> int:
        return estimate_training_memory(
            parameter_count=8_030_000_000, quantization="nf4", lora_r=16, micro_batch_size=4,
            max_seq_len=1024, device="cuda", checkpointed_layers=checkpointed).activations_bytes

    figures = [activations_bytes(n) for n in (0, 8, 16, 32)]
    assert figures == sorted(figures, reverse=True)
    assert activations_bytes(None) == figures[-1]  # by default: the least a run needs
    assert figures[0] > 8 * figures[-1]


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
