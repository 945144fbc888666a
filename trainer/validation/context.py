"""What every suite measures with: the model in memory, its tokenizer, the held-out data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from libs.common.training_format import TrainingPair
from proto.validation import ValidationPlan
from trainer.data import Example


@dataclass
class Context:
    model: Any  # the peft model: adapter on is "trained", likelihood.adapter(off) is "base"
    tokenizer: Any
    device: str
    plan: ValidationPlan
    max_seq_len: int  # the job's: scenarios are cut as its training examples were
    val: list[Example]  # the trainer's held-out sequences (split + packing), for perplexity
    held_out: list[TrainingPair]  # the held-out pairs themselves, for scenarios
    consultant_profile: dict | None = None
    # The training loop's last evaluation of `val` with the adapter on: the trained perplexity
    # already measured, so only the base pass is left to run (None: measure both).
    trained_val_loss: float | None = None
    progress: Callable[[str], None] = lambda _: None
    # scenario id -> (answer, tokens): the brand-voice suite reuses what emotional
    # intelligence already had the trained model answer, so nothing is generated twice.
    trained_answers: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id
