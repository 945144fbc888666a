"""Log-likelihoods of target tokens, per sequence, base or trained.

The same loss the training loop minimises (loop.loss_sum: cross-entropy over target tokens),
summed per sequence so a caller can average over a set (perplexity) or per item (a choice's
score, a reference answer's NLL).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from trainer.batching import collate
from trainer.data import Example
from trainer.loop import target_nll

# Sequences a forward pass scores. CPU: short padded batches beat one-by-one for the short
# sequences scored here (multiple-choice answers); CUDA: as many as comfortably fit.
SCORE_ROWS = {"cpu": 8, "cuda": 32}


@contextlib.contextmanager
def adapter(model: Any, on: bool) -> Iterator[None]:
    """The trained model (adapter on) or the base model (peft's disable_adapter): one set of
    weights in memory, the base figures without a second load."""
    if on:
        yield
    else:
        with model.disable_adapter():
            yield


def _row_sums(model: Any, batch: dict[str, torch.Tensor]) -> tuple[list[float], list[int]]:
    """Per row: summed NLL of its target tokens, and their count (the loop's own loss, per row)."""
    token_nll, counts = target_nll(model, batch, reduction="none")
    return [float(part.sum()) for part in token_nll.split(counts)], counts


@torch.no_grad()
def sequence_nll(model: Any, examples: Sequence[Example], pad_id: int, device: str,
                 rows: int | None = None) -> list[tuple[float, int]]:
    """(summed NLL of the target tokens, their count) per example, in the given order.

    Batches go in length order, so little of a batch is padding."""
    rows = rows or SCORE_ROWS.get(device, 8)
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i].input_ids))
    out: list[tuple[float, int]] = [(0.0, 0)] * len(examples)
    for start in range(0, len(order), rows):
        chunk = order[start:start + rows]
        batch = {k: v.to(device) for k, v in collate([examples[i] for i in chunk], pad_id).items()}
        sums, counts = _row_sums(model, batch)
        for i, total, count in zip(chunk, sums, counts, strict=True):
            out[i] = (total, int(count))
    return out


def mean(scored: Sequence[tuple[float, int]]) -> float:
    """Mean NLL per target token over scored sequences (a token-weighted mean)."""
    tokens = sum(n for _, n in scored)
    return sum(s for s, _ in scored) / tokens if tokens else float("nan")
