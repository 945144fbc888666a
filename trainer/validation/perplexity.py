"""UJ5.2.1: perplexity on the held-out 20%, base against trained.

The trainer's own split and examples (data.prepare + packing: same truncation, loss on target
tokens only), so the trained figure is the one its last Evaluation reported and the base figure
is the same measurement with the adapter off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from proto.validation import PerplexityDetail
from trainer.data import Example
from trainer.packing import pair_count
from trainer.validation import likelihood

# Held-out sequences can be thousands of tokens: on the CPU one a pass, unpadded (SDPA's fused
# causal kernel, as training does, batching.pass_sizes); on CUDA a few together.
ROWS = {"cpu": 1, "cuda": 8}


class NoHeldOutData(ValueError):
    pass


def perplexity(loss: float) -> float:
    return math.exp(loss) if loss < 700 else float("inf")


def measure(model: Any, val: list[Example], pad_id: int, device: str,
            progress: Callable[[str], None] = lambda _: None,
            trained_loss: float | None = None) -> PerplexityDetail:
    """`trained_loss`: the loop's own last evaluation of `val` (the same measurement), which
    spares a pass over the held-out set."""
    if not val:
        raise NoHeldOutData("no held-out examples: the training file has too few conversations "
                            "to hold any out")
    losses = {True: trained_loss} if trained_loss is not None else {}
    for trained in (False, True):
        if trained in losses:
            continue
        progress(f"perplexity: {'trained' if trained else 'base'} model on {len(val)} held-out "
                 "sequences")
        with likelihood.adapter(model, trained):
            scored = likelihood.sequence_nll(model, val, pad_id, device, ROWS.get(device, 1))
        losses[trained] = likelihood.mean(scored)
    return PerplexityDetail(
        examples=pair_count(val), target_tokens=sum(e.target_count for e in val),
        base_loss=losses[False], trained_loss=losses[True],
        base_perplexity=perplexity(losses[False]), trained_perplexity=perplexity(losses[True]))
