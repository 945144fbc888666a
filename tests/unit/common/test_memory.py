"""The memory estimator: bigger batches and sequences need more; NF4 needs less."""

from __future__ import annotations

import pytest

from libs.common.memory import GIB, estimate_training_memory, saved_per_layer_token


def estimate(**overrides: object) -> int:
    settings = {"parameter_count": 135_000_000, "quantization": "auto", "lora_r": 16,
                "micro_batch_size": 4, "max_seq_len": 2048, "device": "cuda", **overrides}
    return estimate_training_memory(**settings).total_bytes  # type: ignore[arg-type]


def test_memory_grows_with_batch_sequence_and_rank() -> None:
    base = estimate()
    assert estimate(micro_batch_size=8) > base
    assert estimate(max_seq_len=4096) > base
    assert estimate(lora_r=64) > base


def test_halving_the_micro_batch_is_what_an_oom_suggests_on_cuda_and_it_helps() -> None:
    assert estimate(micro_batch_size=2, max_seq_len=8192) < 0.6 * estimate(max_seq_len=8192)


def test_on_the_cpu_the_micro_batch_does_not_count_but_the_sequence_length_does() -> None:
    # The CPU runs one sequence per pass (batching.pass_sizes).
    assert estimate(device="cpu", micro_batch_size=8) == estimate(device="cpu")
    assert estimate(device="cpu", max_seq_len=1024) < 0.8 * estimate(device="cpu")


def test_nf4_on_cuda_needs_far_less_weight_memory_than_bf16() -> None:
    nf4 = estimate_training_memory(parameter_count=70_600_000_000, quantization="nf4", lora_r=16,
                                   micro_batch_size=1, max_seq_len=2048, device="cuda")
    bf16 = estimate_training_memory(parameter_count=70_600_000_000, quantization="none", lora_r=16,
                                    micro_batch_size=1, max_seq_len=2048, device="cuda")
    assert nf4.weights_bytes < bf16.weights_bytes / 3
    # Llama-3-70B QLoRA fits one 80 GB H100 — the production setup of DESIGN.md.
    assert 35 * GIB < nf4.total_bytes < 80 * GIB
    assert "GiB" in nf4.describe()


def test_tied_embeddings_are_counted_once_and_logits_scale_with_the_target_share() -> None:
    from libs.common.memory import ModelShape

    def parts(**overrides: object):  # type: ignore[no-untyped-def]
        settings = {"parameter_count": 1_240_000_000, "quantization": "nf4", "lora_r": 16,
                    "micro_batch_size": 4, "max_seq_len": 1024, "device": "cuda", **overrides}
        return estimate_training_memory(**settings)  # type: ignore[arg-type]

    llama = {"layers": 16, "hidden": 2048, "vocab": 128256, "intermediate": 8192, "kv_width": 512}
    tied = parts(shape=ModelShape(**llama, tied_embeddings=True))
    untied = parts(shape=ModelShape(**llama))
    assert tied.weights_bytes < untied.weights_bytes
    assert parts(target_share=0.25).logits_bytes * 2 == parts(target_share=0.5).logits_bytes


ALL_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@pytest.mark.parametrize(("shape", "modules", "act_bytes", "measured"), [
    # trainer.activations' probe on the CPU, fp32, 2-layer Llamas (hidden, MLP, kv width):
    ((128, 256, 128), ALL_MODULES, 4, 11_448),
    ((128, 640, 128), ALL_MODULES, 4, 17_976),  # a 5x MLP
    ((128, 448, 32), ALL_MODULES, 4, 13_896),  # grouped-query attention, 2 of 8 heads
    ((128, 448, 128), ["q_proj", "v_proj"], 4, 9_816),
    ((576, 1536, 192), ALL_MODULES, 4, 53_804),  # SmolLM2-135M's shape
    # On an H100: the Llama-3.1-8B shape, NF4, bf16 autocast (benchmarks/results).
    ((4096, 14336, 1024), ALL_MODULES, 2, 255_992),
])
def test_the_per_layer_term_matches_what_the_probe_measured(shape, modules, act_bytes, measured
                                                            ) -> None:
    from libs.common.memory import ModelShape

    hidden, intermediate, kv_width = shape
    model = ModelShape(layers=2, hidden=hidden, vocab=1000, intermediate=intermediate,
                       kv_width=kv_width)
    assert saved_per_layer_token(model, modules, act_bytes) == pytest.approx(measured, rel=0.02)
