"""How much memory a LoRA run needs, before it starts: the trainer quotes it in OOM messages,
the cost service checks every estimate against it, packaging states GPU requirements with it.

Pure Python (no torch) so any service can import it. The figures are estimates in the spirit of
Korthikanti et al. (activation memory per layer ≈ 34·s·b·h bytes at 16 bit without the attention
matrix, which SDPA/flash attention never materialise), calibrated to within a factor ~1.5 of
what this trainer measures; treat them as "will it fit", not as an allocator trace.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

GIB = 2**30

Device = Literal["cpu", "cuda"]
# Share of a sequence's positions that predict a target token. Chat data with history runs
# at 0.3–0.4 (the sample: 0.32 per pair, 0.40 once packed); 0.5 keeps a margin.
TARGET_SHARE = 0.5
# On the CPU, glibc's heap keeps the blocks of freed activations for reuse: the process's peak
# RSS held about twice the tensors autograd actually saved (SmolLM2-135M, a 917-token
# sequence: 1,511 MiB saved, ~3.4 GiB above runtime and weights).
CPU_HEAP_FACTOR = 2.0


@dataclass(frozen=True)
class ModelShape:
    layers: int
    hidden: int
    vocab: int
    intermediate: int  # the MLP's width
    kv_width: int  # key (and value) heads × head size: below hidden with grouped-query attention
    tied_embeddings: bool = False  # the output head reuses the input embedding matrix


# Shapes of the models we run, by parameter count; unknown sizes scale from the nearest one.
KNOWN_SHAPES: dict[int, ModelShape] = {
    3_200_000: ModelShape(layers=2, hidden=64, vocab=49152, intermediate=128, kv_width=64,
                          tied_embeddings=True),  # tiny-random-llama
    135_000_000: ModelShape(layers=30, hidden=576, vocab=49152, intermediate=1536, kv_width=192,
                            tied_embeddings=True),  # SmolLM2-135M
    1_240_000_000: ModelShape(layers=16, hidden=2048, vocab=128256, intermediate=8192,
                              kv_width=512, tied_embeddings=True),  # Llama-3.2-1B
    8_030_000_000: ModelShape(layers=32, hidden=4096, vocab=128256, intermediate=14336,
                              kv_width=1024),  # Llama-3-8B
    70_600_000_000: ModelShape(layers=80, hidden=8192, vocab=128256, intermediate=28672,
                               kv_width=1024),  # Llama-3-70B
}

LLAMA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def features(shape: ModelShape, module: str) -> tuple[int, int]:
    """(in, out) features of a Llama projection; another module is taken as hidden to hidden.
    A LoRA of rank r on it adds r·(in + out) parameters and keeps an in-wide input."""
    h, kv, mlp = shape.hidden, shape.kv_width, shape.intermediate
    return {"k_proj": (h, kv), "v_proj": (h, kv), "gate_proj": (h, mlp), "up_proj": (h, mlp),
            "down_proj": (mlp, h)}.get(module, (h, h))


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int
    adapter_bytes: int  # LoRA weights + gradients + AdamW moments
    activations_bytes: int
    logits_bytes: int
    overhead_bytes: int  # runtime, CUDA context, allocator slack

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.adapter_bytes + self.activations_bytes
                + self.logits_bytes + self.overhead_bytes)

    def describe(self) -> str:
        def gib(n: int) -> str:
            return f"{n / GIB:.1f}"

        return (f"about {gib(self.total_bytes)} GiB (base weights {gib(self.weights_bytes)}, "
                f"adapter+optimizer {gib(self.adapter_bytes)}, activations "
                f"{gib(self.activations_bytes)}, logits {gib(self.logits_bytes)}, "
                f"runtime {gib(self.overhead_bytes)})")


@dataclass(frozen=True)
class Shrink:
    """A config change that needs less memory, in the order that costs training least."""

    changes: dict[str, int]
    fix: str


def shrink(*, micro_batch_size: int, grad_accumulation: int, max_seq_len: int, lora_r: int,
           device: Device) -> Shrink:
    # Halving the micro-batch and doubling accumulation keeps the effective batch (and so the
    # training dynamics) unchanged; only when that is exhausted do we trade away quality.
    # On the CPU a micro-batch runs one sequence at a time (batching.pass_sizes), so its
    # size does not bound memory there: the sequence length does.
    if device == "cuda" and micro_batch_size > 1 and grad_accumulation * 2 <= 256:
        half = micro_batch_size // 2
        return Shrink({"micro_batch_size": half,
                       "grad_accumulation": math.ceil(micro_batch_size * grad_accumulation / half)},
                      f"Halve micro_batch_size to {half} and double grad_accumulation (same "
                      "effective batch).")
    if max_seq_len > 512:
        shorter = max(512, max_seq_len // 2)
        return Shrink({"max_seq_len": shorter},
                      f"Lower max_seq_len to {shorter}: longer examples are truncated from their "
                      "oldest history turns.")
    if lora_r > 4:
        return Shrink({"r": lora_r // 2}, f"Lower the LoRA rank r to {lora_r // 2}.")
    return Shrink({}, "Use a machine with more memory, or a smaller base model.")


def shape_for(parameter_count: int) -> ModelShape:
    nearest = min(KNOWN_SHAPES, key=lambda n: abs(math.log(n / max(parameter_count, 1))))
    base = KNOWN_SHAPES[nearest]
    # Parameters grow ~ layers·hidden²: split the ratio between depth and width.
    scale = (parameter_count / nearest) ** (1 / 3)
    return ModelShape(layers=max(1, round(base.layers * scale)),
                      hidden=max(8, round(base.hidden * scale)), vocab=base.vocab,
                      intermediate=max(8, round(base.intermediate * scale)),
                      kv_width=max(8, round(base.kv_width * scale)),
                      tied_embeddings=base.tied_embeddings)


def saved_per_layer_token(shape: ModelShape, lora_modules: Collection[str], act_bytes: int
                          ) -> int:
    """What a decoder layer keeps for backward per token, in bytes. Values of the activations'
    dtype: 4·hidden (the two norms' inputs, the query, the attention output), 2·kv_width (keys
    and values) and 3·intermediate (the gate's and up projection's outputs, the activation).
    Each LoRA module keeps its dropped-out input and a one-byte mask: hidden-wide, or
    intermediate-wide for down_proj. In half precision the norms compute in fp32, so their two
    inputs take 4 bytes a value, not 2.

    Fitted to trainer.activations' probe on the CPU (fp32, 2-layer Llamas of hidden 128–576,
    MLP 2–5× hidden, MHA and GQA, 2–7 LoRA modules: within 1.6%, 7% at hidden 64) and checked
    on the one CUDA shape measured (Llama-3.1-8B, NF4, bf16 autocast: 256,000 against 255,992)."""
    values = 4 * shape.hidden + 2 * shape.kv_width + 3 * shape.intermediate
    lora = sum(features(shape, m)[0] for m in lora_modules)
    fp32_norms = 2 * (4 - act_bytes) * shape.hidden if act_bytes < 4 else 0
    return values * act_bytes + lora * (act_bytes + 1) + fp32_norms


def logits_bytes(tokens: int, vocab: int, target_share: float = TARGET_SHARE) -> int:
    """Logits, log-softmax and their gradient in fp32, only where a target is predicted: the
    trainer projects nothing else onto the vocabulary (loop.loss_sum)."""
    return int(tokens * target_share * vocab * 4 * 3)


def estimate_training_memory(
    *, parameter_count: int, quantization: str, lora_r: int, micro_batch_size: int,
    max_seq_len: int, device: Device, target_modules: list[str] | None = None,
    checkpointed_layers: int | None = None, shape: ModelShape | None = None,
    target_share: float = TARGET_SHARE,
) -> MemoryEstimate:
    """`checkpointed_layers`: how many decoder layers recompute their activations in backward;
    None for every layer, near the least a run needs — the trainer checkpoints only as many as
    memory demands (trainer.activations), so this is the question "can it fit at all"."""
    shape = shape or shape_for(parameter_count)
    on_cuda = device == "cuda"
    nf4 = on_cuda and quantization in ("nf4", "auto")
    checkpointed = shape.layers if checkpointed_layers is None else checkpointed_layers
    act_bytes = 2 if on_cuda else 4  # bf16 compute on CUDA, float32 on CPU

    embeddings = (1 if shape.tied_embeddings else 2) * shape.vocab * shape.hidden
    if nf4:  # 4-bit blocks + double-quantised scales; embeddings and head stay in bf16
        weights = int((parameter_count - embeddings) * 0.53 + embeddings * 2)
    else:
        weights = parameter_count * act_bytes

    modules = target_modules or list(LLAMA_MODULES)
    lora_params = shape.layers * lora_r * sum(sum(features(shape, m)) for m in modules)
    adapter = int(lora_params * 16)  # fp32 weight + grad + two AdamW moments

    # The CPU runs one sequence a pass; CUDA a micro-batch's at least, and a whole step's where
    # that fits (batching.pass_sizes): the estimate is of the least a run needs.
    tokens = (micro_batch_size if on_cuda else 1) * max_seq_len
    per_layer_token = saved_per_layer_token(shape, modules, act_bytes)
    activations = activation_bytes(layers=shape.layers, checkpointed=checkpointed, tokens=tokens,
                                   saved_per_layer_token=per_layer_token,
                                   kept_per_layer_token=shape.hidden * act_bytes)
    logits = logits_bytes(tokens, shape.vocab, target_share)
    if not on_cuda:
        activations, logits = activations * CPU_HEAP_FACTOR, int(logits * CPU_HEAP_FACTOR)
    overhead = int((0.75 if on_cuda else 0.5) * GIB)  # CUDA context + allocator slack; runtime
    return MemoryEstimate(weights, adapter, int(activations), logits, overhead)


def activation_bytes(*, layers: int, checkpointed: int, tokens: int,
                     saved_per_layer_token: int, kept_per_layer_token: int) -> int:
    """What a pass of `tokens` tokens holds for backward at its peak, with the first
    `checkpointed` of `layers` decoder layers checkpointed (trainer.activations).

    An un-checkpointed layer holds `saved_per_layer_token` bytes a token until backward; a
    checkpointed one only its input (`kept_per_layer_token`). Backward recomputes a checkpointed
    layer only once the layers above it have freed theirs, so the recompute sets the peak only
    when every layer is checkpointed."""
    keeping = max(layers - checkpointed, 1 if checkpointed else 0)
    return tokens * (checkpointed * kept_per_layer_token + keeping * saved_per_layer_token)


def layers_to_checkpoint(*, layers: int, budget_bytes: int, **pass_shape: int) -> int:
    """The fewest layers to checkpoint for activations to fit `budget_bytes` (each one costs a
    second forward of that layer); when nothing fits, the count that needs least — all but the
    last layer, whose recompute would come while its own activations are needed anyway.
    `pass_shape`: the rest of activation_bytes' arguments."""
    need = [activation_bytes(layers=layers, checkpointed=n, **pass_shape)
            for n in range(layers + 1)]
    return next((n for n, b in enumerate(need) if b <= budget_bytes), need.index(min(need)))
