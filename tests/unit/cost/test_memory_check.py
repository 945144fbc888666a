"""Before a job starts, its estimate says whether the run fits the GPU's memory (UJ4.2.1), with
the trainer's own estimator, and which overrides make it fit."""

from __future__ import annotations

import msgspec

from proto.cost import EstimateRequest
from proto.jobs import HyperparameterOverrides
from services.cost import domain

SEVENTY_B = EstimateRequest(estimated_tokens=2_000_000, usable_pairs=1000, gpu_type="H100-80GB",
                            model_parameter_count=70_600_000_000)


def memory_warnings(estimate) -> list[str]:  # type: ignore[no-untyped-def]
    return [w for w in estimate.warnings if "out of memory" in w]


def test_the_default_70b_qlora_fits_one_h100_without_a_warning() -> None:
    estimate = domain.estimate(SEVENTY_B)

    assert 0 < estimate.memory_needed_bytes < estimate.memory_available_bytes
    assert memory_warnings(estimate) == [] and estimate.memory_suggested_changes == {}


def test_aggressive_on_70b_warns_and_suggests_halving_the_micro_batch_which_then_fits() -> None:
    aggressive = msgspec.structs.replace(SEVENTY_B, preset="aggressive")

    estimate = domain.estimate(aggressive)

    [warning] = memory_warnings(estimate)
    assert "micro_batch_size=4 with r=32" in warning and "GiB" in warning
    assert estimate.memory_suggested_changes == {"micro_batch_size": 2, "grad_accumulation": 16}
    retried = domain.estimate(msgspec.structs.replace(
        aggressive, overrides=HyperparameterOverrides(**estimate.memory_suggested_changes)))
    assert memory_warnings(retried) == []
    assert retried.memory_needed_bytes < retried.memory_available_bytes


def test_a_smaller_gpu_needs_several_changes_and_two_of_them_have_the_memory() -> None:
    l40s = msgspec.structs.replace(SEVENTY_B, gpu_type="L40S-48GB")

    one, two = domain.estimate(l40s), domain.estimate(msgspec.structs.replace(l40s, gpu_count=2))

    assert len(one.memory_suggested_changes) >= 2 and memory_warnings(one)
    fitted = domain.estimate(msgspec.structs.replace(
        l40s, overrides=HyperparameterOverrides(**one.memory_suggested_changes)))
    assert memory_warnings(fitted) == []
    assert two.memory_available_bytes == 2 * one.memory_available_bytes
    assert memory_warnings(two) == []


def test_a_model_no_change_can_fit_says_to_use_a_bigger_machine() -> None:
    on_cpu = msgspec.structs.replace(SEVENTY_B, gpu_type="cpu")

    estimate = domain.estimate(on_cpu)

    [warning] = memory_warnings(estimate)
    assert "smaller base model" in warning and estimate.memory_suggested_changes == {}
