"""Batches: which examples go together, in what order, as tensors.

The order of an epoch is a pure function of (seed, epoch) — nothing else — so a resumed run
rebuilds exactly the batches it would have seen, and only has to remember its position.
Length-grouped: examples of similar length share a micro-batch, so little compute is spent on
padding, while a shuffle over mega-batches keeps the order random. On the CPU there is no
padding at all: a step's sequences run one by one (forward_passes).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence

import torch

from trainer.data import IGNORE_INDEX, Example

MEGA_BATCH = 64  # micro-batches per length-sorting window


def _rng(seed: int, *parts: object) -> random.Random:
    key = ":".join(str(p) for p in (seed, *parts))
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def plan_epoch(lengths: Sequence[int], micro_batch_size: int, seed: int, epoch: int
               ) -> list[list[int]]:
    """Micro-batches of example indices for one epoch."""
    rng = _rng(seed, "epoch", epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = micro_batch_size * MEGA_BATCH
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: (-lengths[i], i))
        batches += [chunk[i:i + micro_batch_size] for i in range(0, len(chunk), micro_batch_size)]
    rng.shuffle(batches)
    # The longest batch first: if memory is short, fail at step 1, not hours in.
    longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
    batches.insert(0, batches.pop(longest))
    return batches


def step_groups(batches: list[list[int]], grad_accumulation: int) -> list[list[list[int]]]:
    """The micro-batches each optimizer step accumulates over (the last may be short)."""
    return [batches[i:i + grad_accumulation] for i in range(0, len(batches), grad_accumulation)]


def steps_per_epoch(n_examples: int, micro_batch_size: int, grad_accumulation: int) -> int:
    return math.ceil(math.ceil(n_examples / micro_batch_size) / grad_accumulation)


def pass_sizes(micro_batch_size: int, grad_accumulation: int, device: str) -> list[int]:
    """How many of a step's sequences one forward pass may run, preferred first
    (activations.plan takes the first that fits in memory). On the CPU each goes alone:
    unpadded, it needs no attention mask, so SDPA takes its fused causal kernel instead of
    materialising a masked attention matrix per head (on the sample's longest micro-batch: 1.8×
    faster, a third of the memory). On CUDA a step's sequences go in one pass where they fit,
    else a micro-batch's: on an H100 at 8 B a pass took about as long whether it held 1, 2 or 4
    sequences (0.5–0.7 s), so fewer passes are faster."""
    if device == "cpu":
        return [1]
    return list(dict.fromkeys([micro_batch_size * grad_accumulation, micro_batch_size]))


def forward_passes(examples: Sequence[Example], rows: int) -> list[list[Example]]:
    """A step's (or a micro-batch's) sequences cut into passes of `rows`; the gradient is the
    same sum."""
    return [list(examples[i:i + rows]) for i in range(0, len(examples), rows)]


def largest_pass(examples: Sequence[Example], rows: int) -> tuple[int, int]:
    """At most how many tokens, and how many target tokens, one forward pass of `rows` padded
    sequences holds."""
    tokens = max((len(e.input_ids) for e in examples), default=1)
    targets = max((e.target_count for e in examples), default=1)
    return tokens * rows, targets * rows


def collate(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors; padding is masked out of attention and carries no label."""
    width = max(len(e.input_ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        input_ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def eval_batches(examples: Sequence[Example], micro_batch_size: int) -> list[list[int]]:
    """Validation in length order: no shuffling needed, least padding."""
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i].input_ids))
    return [order[i:i + micro_batch_size] for i in range(0, len(order), micro_batch_size)]
