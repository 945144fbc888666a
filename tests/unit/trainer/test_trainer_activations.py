"""Gradient checkpointing on as few layers as memory needs (trainer.activations): it changes
what a step keeps in memory, never what it learns — and an out-of-memory step is redone, not
failed, while some layers still keep their activations. The runs in a memory-limited process
(trainer subprocesses) are in tests/integration/trainer/test_trainer_activations_limited.py."""

from __future__ import annotations

from typing import Any

import torch
from trainer_testkit import pair

from libs.common.memory import estimate_training_memory, layers_to_checkpoint
from proto.training import LoraSettings
from trainer import activations, loop, model
from trainer.batching import collate
from trainer.data import IGNORE_INDEX, Example, build_example


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

