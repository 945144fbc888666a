"""How a step's sequences are cut into passes changes how the work is done, never what is
learned: one sequence per pass (the CPU's) gives the padded batch's gradient, one pass over
several micro-batches (CUDA's, where it fits) gives theirs, and lane dropout is dropout."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import torch
from trainer_testkit import one_step_run, pair

from proto.training import LoraSettings
from trainer import loop, model
from trainer.batching import collate, forward_passes, pass_sizes
from trainer.data import Example, build_example
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
    alone = lora_gradients(tokenizer, forward_passes(batch, 1))

    assert pass_sizes(len(batch), 2, "cpu") == [1]
    assert forward_passes(batch, 1) == [[e] for e in batch]
    assert forward_passes(batch, 2) == [batch[:2], batch[2:]]
    assert alone[0] == pytest.approx(padded[0], rel=1e-5)
    for a, p in zip(alone[1], padded[1], strict=True):
        torch.testing.assert_close(a, p, rtol=1e-4, atol=1e-6)


def step_gradients(tokenizer: Any, tmp_path: Path, group: list[list[Example]], rows: int
                   ) -> tuple[float, list[torch.Tensor]]:
    """loop.accumulate over one step's micro-batches, in passes of `rows` sequences."""
    base = model.load_base(None, tokenizer, "cpu", False)
    lora = model.attach_lora(base, LoraSettings(r=4, alpha=8, dropout=0.0), 1, "cpu", False)
    train = [e for batch in group for e in batch]
    ends = list(itertools.accumulate(len(batch) for batch in group))
    indices = [list(range(end - len(batch), end)) for batch, end in zip(group, ends, strict=True)]
    run = one_step_run(tmp_path, lora, train, rows, tokenizer.pad_token_id)
    loss, _ = loop.accumulate(run, indices)
    return loss, [p.grad.clone() for p in model.trainable_parameters(lora)]


def test_a_pass_may_span_micro_batches_and_learns_what_they_would(tokenizer: Any,
                                                                  tmp_path: Path) -> None:
    first, second = examples(tokenizer), examples(tokenizer)[:2]

    apart = step_gradients(tokenizer, tmp_path, [first, second], rows=1)
    together = step_gradients(tokenizer, tmp_path, [first, second], rows=5)  # one padded pass

    assert pass_sizes(4, 2, "cuda") == [8, 4] and pass_sizes(4, 1, "cuda") == [4]
    assert together[0] == pytest.approx(apart[0], rel=1e-5)
    for t, a in zip(together[1], apart[1], strict=True):
        torch.testing.assert_close(t, a, rtol=1e-4, atol=1e-6)


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
