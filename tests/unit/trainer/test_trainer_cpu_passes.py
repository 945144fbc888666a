"""The CPU's fast paths change how the work is done, never what is learned: one sequence per
pass gives the padded batch's gradient."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from trainer_testkit import pair

from proto.training import LoraSettings
from trainer import loop, model
from trainer.batching import collate, forward_passes
from trainer.data import build_example


def examples(tokenizer: Any) -> list:
    """Three pairs of clearly different lengths, so one padded batch has real padding."""
    pairs = [pair(f"c{i}_turn1", user="Tell me more. " * (3 + 9 * i), target=f"Reply {i}.")
             for i in range(3)]
    return [build_example(p, tokenizer, max_seq_len=512)[0] for p in pairs]


def lora_gradients(tokenizer: Any, batches: list[list]) -> tuple[float, list[torch.Tensor]]:
    base = model.load_base(None, tokenizer, "cpu", False)
    lora = model.attach_lora(base, LoraSettings(r=4, alpha=8, dropout=0.0), 1, "cpu", False)
    total = 0.0
    for rows in batches:
        summed, _ = loop.loss_sum(lora, collate(rows, tokenizer.pad_token_id))
        summed.backward()
        total += summed.item()
    return total, [p.grad.clone() for p in model.trainable_parameters(lora)]


def test_one_sequence_per_pass_gives_the_padded_batch_loss_and_gradient(tokenizer: Any) -> None:
    batch = examples(tokenizer)
    assert len({len(e.input_ids) for e in batch}) == 3

    padded = lora_gradients(tokenizer, forward_passes(batch, "cuda"))
    alone = lora_gradients(tokenizer, forward_passes(batch, "cpu"))

    assert forward_passes(batch, "cpu") == [[e] for e in batch]
    assert alone[0] == pytest.approx(padded[0], rel=1e-5)
    for a, p in zip(alone[1], padded[1], strict=True):
        torch.testing.assert_close(a, p, rtol=1e-4, atol=1e-6)
