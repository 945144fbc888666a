"""The memory estimator: bigger batches and sequences need more; NF4 needs less."""

from __future__ import annotations

import pytest

from trainer.memory import GIB, estimate_training_memory, saved_per_layer_token


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
    from trainer.memory import ModelShape

    def parts(**overrides: object):  # type: ignore[no-untyped-def]
        settings = {"parameter_count": 1_240_000_000, "quantization": "nf4", "lora_r": 16,
                    "micro_batch_size": 4, "max_seq_len": 1024, "device": "cuda", **overrides}
        return estimate_training_memory(**settings)  # type: ignore[arg-type]

    tied = parts(shape=ModelShape(layers=16, hidden=2048, vocab=128256, tied_embeddings=True))
    untied = parts(shape=ModelShape(layers=16, hidden=2048, vocab=128256))
    assert tied.weights_bytes < untied.weights_bytes
    assert parts(target_share=0.25).logits_bytes * 2 == parts(target_share=0.5).logits_bytes


def test_the_per_layer_term_matches_what_the_probe_measured() -> None:
    # trainer.activations' probe: SmolLM2-135M on the CPU (fp32), and on an H100 the
    # Llama-3.1-8B shape in NF4 with bf16 autocast (benchmarks/results/trainer-throughput.md).
    assert saved_per_layer_token(576, 7, 4) == pytest.approx(54_730, rel=0.02)
    assert saved_per_layer_token(4096, 7, 2) == pytest.approx(255_992, rel=0.02)
