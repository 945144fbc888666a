"""The three training presets of UJ1.2.1, as data (Balanced is the default)."""

from __future__ import annotations

from typing import Literal

import msgspec

from proto.api import ServiceError
from proto.jobs import HyperparameterOverrides
from proto.training import Hyperparameters, LoraSettings

PresetName = Literal["conservative", "balanced", "aggressive"]


class Preset(msgspec.Struct, frozen=True, kw_only=True):
    name: PresetName
    title: str
    tagline: str
    risk: Literal["low", "medium", "high"]
    lora: LoraSettings
    hyperparameters: Hyperparameters
    is_default: bool = False


PRESETS: dict[str, Preset] = {
    "conservative": Preset(
        name="conservative",
        title="Conservative",
        tagline="Best for first training runs",
        risk="low",
        lora=LoraSettings(r=8, alpha=16, dropout=0.05),
        hyperparameters=Hyperparameters(
            learning_rate=1e-4, epochs=2, micro_batch_size=4, grad_accumulation=4, max_seq_len=2048
        ),
    ),
    "balanced": Preset(
        name="balanced",
        title="Balanced",
        tagline="Production-ready for most cases",
        risk="medium",
        lora=LoraSettings(r=16, alpha=32, dropout=0.05),
        hyperparameters=Hyperparameters(
            learning_rate=2e-4, epochs=3, micro_batch_size=4, grad_accumulation=4, max_seq_len=2048
        ),
        is_default=True,
    ),
    "aggressive": Preset(
        name="aggressive",
        title="Aggressive",
        tagline="Maximum quality",
        risk="high",
        lora=LoraSettings(r=32, alpha=64, dropout=0.1),
        hyperparameters=Hyperparameters(
            learning_rate=3e-4, epochs=4, micro_batch_size=4, grad_accumulation=8, max_seq_len=4096
        ),
    ),
}

DEFAULT_PRESET = "balanced"

LORA_FIELDS = {"r", "alpha", "dropout"}


def resolve(preset: str, overrides: HyperparameterOverrides) -> tuple[LoraSettings, Hyperparameters]:
    """The preset's settings with the user's overrides, every value range-checked."""
    if preset not in PRESETS:
        raise ServiceError(
            "unknown_preset", f"There is no preset named {preset!r}.",
            f"Choose one of: {', '.join(PRESETS)}.", {"allowed": list(PRESETS)}, 422,
        )
    chosen = PRESETS[preset]
    given = msgspec.structs.asdict(overrides)
    lora = {k: v for k, v in given.items() if k in LORA_FIELDS and v is not None}
    hyper = {k: v for k, v in given.items() if k not in LORA_FIELDS and v is not None}
    try:
        return (
            msgspec.convert({**msgspec.to_builtins(chosen.lora), **lora}, LoraSettings),
            msgspec.convert({**msgspec.to_builtins(chosen.hyperparameters), **hyper}, Hyperparameters),
        )
    except msgspec.ValidationError as exc:
        raise ServiceError(
            "invalid_hyperparameter", f"Invalid hyperparameter: {exc}.",
            "Use a value inside the allowed range given in the message.", {"reason": str(exc)}, 422,
        ) from exc
