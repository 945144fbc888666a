"""The CPU's fast paths change how the work is done, never what is learned: one sequence per
pass gives the padded batch's gradient, and lane dropout is dropout."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from trainer_testkit import pair

from proto.training import LoraSettings
from trainer import loop, model
from trainer.batching import collate, forward_passes, rows_per_pass
from trainer.data import build_example
from trainer.dropout import LaneDropout


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

    padded = lora_gradients(tokenizer, forward_passes(batch, len(batch)))
    alone = lora_gradients(tokenizer, forward_passes(batch, rows_per_pass(len(batch), "cpu")))

    assert forward_passes(batch, rows_per_pass(len(batch), "cpu")) == [[e] for e in batch]
    assert forward_passes(batch, 2) == [batch[:2], batch[2:]]
    assert alone[0] == pytest.approx(padded[0], rel=1e-5)
    for a, p in zip(alone[1], padded[1], strict=True):
        torch.testing.assert_close(a, p, rtol=1e-4, atol=1e-6)


def test_lane_dropout_drops_p_keeps_the_expectation_and_passes_its_mask_back() -> None:
    dropout = LaneDropout(0.05)
    x = torch.ones(1_000_000, requires_grad=True)

    y = dropout(x)
    y.sum().backward()

    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(0.05, abs=0.002)
    assert y.mean().item() == pytest.approx(1.0, abs=0.005)
    torch.testing.assert_close(x.grad, y.detach())  # d(mask·x·scale)/dx = mask·scale


def test_lane_dropout_replays_under_the_same_seed_and_is_off_in_eval() -> None:
    dropout, x = LaneDropout(0.1), torch.randn(4, 333)

    torch.manual_seed(7)
    first = dropout(x)
    torch.manual_seed(7)
    again = dropout(x)

    assert torch.equal(first, again) and not torch.equal(first, x)
    assert torch.equal(dropout.eval()(x), x)


def test_the_cpu_adapters_use_lane_dropout(tokenizer: Any) -> None:
    base = model.load_base(None, tokenizer, "cpu", False)
    lora = model.attach_lora(base, LoraSettings(r=4, alpha=8, dropout=0.05), 1, "cpu", False)

    kinds = {type(m).__name__ for m in lora.modules() if "dropout" in type(m).__name__.lower()}

    assert kinds == {"LaneDropout"}
