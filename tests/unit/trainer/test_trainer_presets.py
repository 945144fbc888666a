"""Presets and job specs: every preset is valid; values out of range are refused by name."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from trainer_testkit import make_job

from proto.jobs import HyperparameterOverrides
from proto.presets import PRESETS, resolve
from proto.training import Hyperparameters, LoraSettings
from trainer.recipe import load_spec


def test_every_preset_passes_its_own_validation() -> None:
    for preset in PRESETS.values():
        assert msgspec.convert(msgspec.to_builtins(preset.hyperparameters),
                               Hyperparameters) == preset.hyperparameters
        assert msgspec.convert(msgspec.to_builtins(preset.lora), LoraSettings) == preset.lora


@pytest.mark.parametrize(("field", "value"), [
    ("learning_rate", 0.5), ("learning_rate", 0.0), ("epochs", 0), ("epochs", 21),
    ("micro_batch_size", 0), ("grad_accumulation", 1000), ("max_seq_len", 16),
    ("warmup_ratio", 0.9), ("keep_checkpoints", 0), ("gradient_checkpointing", "sometimes"),
])
def test_out_of_range_hyperparameter_is_rejected_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({field: value}, Hyperparameters)
    assert f"`$.{field}`" in str(raised.value)


def test_a_user_may_set_gradient_checkpointing_on_top_of_a_preset() -> None:
    _, hyper = resolve("balanced", HyperparameterOverrides(gradient_checkpointing="none"))
    assert hyper.gradient_checkpointing == "none"
    assert resolve("balanced", HyperparameterOverrides())[1].gradient_checkpointing == "auto"


@pytest.mark.parametrize(("field", "value"), [("r", 0), ("r", 512), ("alpha", 0), ("dropout", 0.9)])
def test_out_of_range_lora_setting_is_rejected_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({field: value}, LoraSettings)
    assert f"`$.{field}`" in str(raised.value)


def test_a_job_spec_with_a_bad_value_is_refused_before_training(tmp_path: Path) -> None:
    spec = make_job(tmp_path, learning_rate=0.2)

    with pytest.raises(msgspec.ValidationError) as raised:
        load_spec(spec)
    assert "hyperparameters.learning_rate" in str(raised.value)
