"""Which decoder layers keep their activations for backward, and which recompute them.

Gradient checkpointing keeps only a layer's input and runs the layer's forward again during
backward: memory bought with compute (on a QLoRA step, about a quarter of the layer's time).
It pays only where memory is short, so the trainer checkpoints the fewest layers that fit. It
measures what one layer saves for backward on this very model — quantisation, LoRA modules,
dropout and attention kernel included — reads the memory left on the device, and asks
memory.layers_to_checkpoint. On CUDA it first tries a step's sequences in one pass (fewer
passes are faster there, batching.pass_sizes), then a micro-batch's. Should the device disagree
(an out-of-memory error mid-step), the loop checkpoints every layer, then halves the sequences a
pass, and redoes the step (loop.accumulate_fitting).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from libs.common import memory
from trainer.batching import largest_pass
from trainer.data import Example

log = logging.getLogger("trainer.activations")

Mode = Literal["auto", "all", "none"]
# Share of the free memory the plan may fill: the rest absorbs allocator fragmentation and the
# transient buffers of a layer's forward (the attention workspace, the MLP's intermediates).
FILL = 0.8
# What a step allocates besides activations, logits and optimizer state, kept out of the plan:
# on the CPU the malloc arenas of the compute threads and autograd's buffers (a 24-layer model
# with every layer checkpointed grew 0.9 GiB of address space past the plan); on CUDA cuBLAS's
# workspace and a layer's dequantised NF4 weights.
RESERVE_BYTES = {"cpu": int(0.75 * memory.GIB), "cuda": int(0.5 * memory.GIB)}
PROBE_TOKENS = (64, 192)  # two lengths: a per-token slope, clear of what a pass keeps once
OPTIMIZER_BYTES_PER_PARAMETER = 12  # fp32 gradient + AdamW's two moments, allocated at step 1


@dataclass(frozen=True)
class Plan:
    checkpointed: int
    layers: int
    reason: str
    rows_per_pass: int = 1

    def describe(self) -> str:
        rows = f"{self.rows_per_pass} sequence{'s' if self.rows_per_pass > 1 else ''} a pass"
        return (f"gradient checkpointing on {self.checkpointed} of {self.layers} layers, {rows} "
                f"({self.reason})")


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    from transformers.modeling_layers import GradientCheckpointingLayer

    return [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)]


def checkpoint_layers(model: torch.nn.Module, count: int) -> None:
    """Checkpoint the first `count` decoder layers; the others keep their activations.
    Needs `activation_checkpointing_enable` once (model.attach_lora), which sets the recompute
    function on every layer."""
    for i, layer in enumerate(decoder_layers(model)):
        layer.gradient_checkpointing = i < count


def checkpointed(model: torch.nn.Module) -> int:
    return sum(1 for layer in decoder_layers(model) if layer.gradient_checkpointing)


def plan(model: Any, on: str, *, examples: Sequence[Example], sizes: Sequence[int],
         mode: Mode = "auto", budget_bytes: int | None = None) -> Plan:
    """Choose how many sequences a pass runs (the first of `sizes` whose activations fit: the
    fewest passes) and how many layers to checkpoint for it, and apply the latter. `mode` sets
    the layers instead; `budget_bytes` caps the memory the plan assumes free (default: what the
    device has left)."""
    layers = len(decoder_layers(model))
    if mode == "auto" and on == "cuda" and torch.cuda.device_count() > 1:
        chosen = Plan(layers, layers, "layers spread over several GPUs", sizes[-1])
    else:
        chosen = _fitted(model, on, [(rows, *largest_pass(examples, rows)) for rows in sizes],
                         layers, mode, budget_bytes)
    checkpoint_layers(model, chosen.checkpointed)
    log.info("%s", chosen.describe())
    return chosen


def _fitted(model: Any, on: str, passes: list[tuple[int, int, int]], layers: int, mode: Mode,
            budget_bytes: int | None) -> Plan:
    """passes: (rows, tokens, targets) of the largest pass at each size, preferred first."""
    config = model.config
    kept = config.hidden_size * _act_bytes(model)
    guess = estimated_bytes_per_layer_token(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    free = free_bytes(on) if budget_bytes is None else budget_bytes
    # On the CPU, glibc's heap keeps freed activation blocks: RSS holds about twice the tensors.
    heap = memory.CPU_HEAP_FACTOR if on == "cpu" else 1.0
    fixed = free * FILL - RESERVE_BYTES[on] - trainable * OPTIMIZER_BYTES_PER_PARAMETER

    def room(targets: int) -> int:
        return int((fixed - memory.logits_bytes(targets, config.vocab_size, target_share=1.0)
                    * heap) / heap)

    # Where twice the estimator's figure fits the largest pass, the probe could only agree: skip
    # its forward (on the CPU its freed blocks stayed in the heap, ~0.5 GiB more peak RSS).
    _, tokens, targets = passes[0]
    fits_anyway = tokens * layers * 2 * guess <= room(targets)
    saved = 2 * guess if fits_anyway else saved_bytes_per_layer_token(model, on)
    log.info("a layer keeps %d bytes a token for backward", saved)
    for rows, tokens, targets in passes:
        shape = {"tokens": tokens, "saved_per_layer_token": saved, "kept_per_layer_token": kept}
        count = {"all": layers, "none": 0}.get(mode)
        if count is None:
            count = memory.layers_to_checkpoint(layers=layers, budget_bytes=room(targets), **shape)
        need = memory.activation_bytes(layers=layers, checkpointed=count, **shape)
        if need <= room(targets) or rows == passes[-1][0]:  # else fewer rows a pass may fit
            break
    reason = f"set to {mode!r}; " if mode != "auto" else ""
    return Plan(count, layers, f"{reason}activations ≈ {need * heap / memory.GIB:.1f} of "
                               f"{free / memory.GIB:.1f} GiB free", rows)


def _act_bytes(model: Any) -> int:
    return model.get_input_embeddings().weight.element_size()  # bf16 on CUDA, fp32 on CPU


def estimated_bytes_per_layer_token(model: Any) -> int:
    """The estimator's figure for what one decoder layer saves per token (memory's formula)."""
    lora = getattr(model, "peft_config", {}).get("default")
    return memory.saved_per_layer_token(model_shape(model.config),
                                        list(lora.target_modules) if lora else [],
                                        _act_bytes(model))


def model_shape(config: Any) -> memory.ModelShape:
    head = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return memory.ModelShape(
        layers=config.num_hidden_layers, hidden=config.hidden_size, vocab=config.vocab_size,
        intermediate=config.intermediate_size, kv_width=kv_heads * head,
        tied_embeddings=bool(getattr(config, "tie_word_embeddings", False)))


def saved_bytes_per_layer_token(model: Any, on: str) -> int:
    """What one decoder layer saves for backward per token, measured: how much the tensors
    autograd saves grow between two probe lengths, no layer checkpointed, divided by layers."""
    previous = checkpointed(model)
    checkpoint_layers(model, 0)
    frozen = {t.untyped_storage().data_ptr()
              for t in itertools.chain(model.parameters(), model.buffers())}
    was_training = model.training
    model.train()  # dropout masks are part of what a training step saves
    try:
        short, long = (_saved_bytes(model, on, n, frozen) for n in PROBE_TOKENS)
    finally:
        model.train(was_training)
        checkpoint_layers(model, previous)
    layers = len(decoder_layers(model))
    return max(0, math.ceil((long - short) / (layers * (PROBE_TOKENS[1] - PROBE_TOKENS[0]))))


def _saved_bytes(model: Any, on: str, tokens: int, frozen: set[int]) -> int:
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in frozen:  # weights are no activation memory
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    ids = (torch.arange(tokens, device=on) % model.config.vocab_size).unsqueeze(0)
    devices = [torch.cuda.current_device()] if on == "cuda" else []
    with torch.random.fork_rng(devices=devices), \
            torch.autocast("cuda", dtype=torch.bfloat16, enabled=on == "cuda"), \
            torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(input_ids=ids, logits_to_keep=1)  # the graph, and what it saved, go with the output
    return sum(saved.values())


def free_bytes(on: str) -> int:
    """Memory this process may still fill: on CUDA the GPU's free memory plus what torch's
    allocator holds unused; on the CPU the host's available memory, or less where a container's
    memory limit or an address-space limit leaves less."""
    if on == "cuda":
        free, _ = torch.cuda.mem_get_info()
        return free + torch.cuda.memory_reserved() - torch.cuda.memory_allocated()
    import psutil

    available = [psutil.virtual_memory().available]
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY:
        available.append(limit - psutil.Process().memory_info().vms)
    cgroup = Path("/sys/fs/cgroup")  # cgroup v2, as docker and kubernetes set it
    with contextlib.suppress(OSError, ValueError):
        available.append(int((cgroup / "memory.max").read_text())
                         - int((cgroup / "memory.current").read_text()))
    return max(0, min(available))
