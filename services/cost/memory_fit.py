"""Will a run fit its machine's memory? Asked with every estimate, before the job starts
(UJ4.2.1's "requires ~92GB VRAM (80GB available)" said up front, not after an OOM), with the
trainer's own estimator, the one its OOM failures quote."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.memory import GIB, Device, MemoryEstimate, estimate_training_memory, shrink
from proto.gpu import GpuType
from proto.training import Hyperparameters, LoraSettings


@dataclass(frozen=True)
class MemoryCheck:
    needed_bytes: int
    available_bytes: int
    warning: str | None
    changes: dict[str, int]


def memory_check(gpu: GpuType, gpu_count: int, parameter_count: int, lora: LoraSettings,
                 hyper: Hyperparameters) -> MemoryCheck:
    """Peak memory against what the instance has; several GPUs of a type share the model's
    layers, so their memory adds up. Too big: the changes, in the trainer's order of
    preference, that bring the run within memory."""
    device: Device = "cpu" if gpu.name == "cpu" else "cuda"
    available = gpu.memory_bytes * (gpu_count if device == "cuda" else 1)
    config = {"micro_batch_size": hyper.micro_batch_size, "max_seq_len": hyper.max_seq_len,
              "grad_accumulation": hyper.grad_accumulation, "r": lora.r}

    def needs(c: dict[str, int]) -> MemoryEstimate:
        return estimate_training_memory(
            parameter_count=parameter_count, quantization="auto", lora_r=c["r"],
            micro_batch_size=c["micro_batch_size"], max_seq_len=c["max_seq_len"], device=device,
            target_modules=list(lora.target_modules))

    needed = needs(config)
    if needed.total_bytes <= available:
        return MemoryCheck(needed.total_bytes, available, None, {})

    def too_big(fix: str, changes: dict[str, int]) -> MemoryCheck:
        where = "this machine" if device == "cpu" else f"{gpu_count} × {gpu.name}"
        warning = (f"micro_batch_size={hyper.micro_batch_size} with r={lora.r} and max_seq_len="
                   f"{hyper.max_seq_len} needs {needed.describe()}; {where} has "
                   f"{available / GIB:.0f} GiB, so the run would run out of memory. {fix}")
        return MemoryCheck(needed.total_bytes, available, warning, changes)

    changes: dict[str, int] = {}
    while needs(c := {**config, **changes}).total_bytes > available:
        step = shrink(micro_batch_size=c["micro_batch_size"], max_seq_len=c["max_seq_len"],
                      grad_accumulation=c["grad_accumulation"], lora_r=c["r"], device=device)
        if not step.changes:  # nothing left to shrink: no setting makes it fit
            return too_big(step.fix, {})
        changes.update(step.changes)
    same_batch = not changes.keys() & {"max_seq_len", "r"}
    return too_big("Change " + ", ".join(f"{k} to {v}" for k, v in changes.items())
                   + (" (same effective batch)." if same_batch else "."), changes)
