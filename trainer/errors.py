"""Why a run failed, told to the person who will fix it: a FailureClass, a plain message,
what to do, and — where the fix is a setting — the exact `suggested_changes` to retry with
(keys are `proto.jobs.HyperparameterOverrides` field names).

`classify` works from real exceptions (torch, the tokenizer, storage, the training-file parser),
walking `__cause__`/`__context__` so a wrapped error is still recognised.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

from libs.common.memory import estimate_training_memory, shrink
from libs.common.storage import ObjectNotFound, StorageRefused
from libs.common.training_format import TrainingFormatError
from proto.training import FailureClass, TrainingJobSpec


class TrainerError(Exception):
    failure_class: FailureClass = "internal"


class TrainingDataError(TrainerError):
    """The training data cannot be trained on; names the pair and field where there is one."""

    failure_class = "data_format"

    def __init__(self, message: str, how_to_fix: str = "", pair_id: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.how_to_fix, self.pair_id, self.field = how_to_fix, pair_id, field


class NaNLossError(TrainerError):
    failure_class = "nan_loss"

    def __init__(self, step: int, what: str, value: float) -> None:
        super().__init__(f"the {what} became {value} at step {step}")
        self.step = step


class Interrupted(TrainerError):
    """SIGTERM (spot reclaim, cancel): the run checkpointed and stopped on purpose."""

    failure_class = "interrupted"

    def __init__(self, step: int, checkpoint_key: str | None) -> None:
        super().__init__(f"stopped by SIGTERM after step {step}")
        self.step, self.checkpoint_key = step, checkpoint_key


class CheckpointError(TrainerError):
    failure_class = "network_storage"


@dataclass(frozen=True)
class Failure:
    failure_class: FailureClass
    message: str
    suggested_fix: str = ""
    suggested_changes: dict[str, float | int | str] = field(default_factory=dict)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    for e in _chain(exc):
        if isinstance(e, MemoryError | torch.OutOfMemoryError):
            return True
        text = str(e)
        if "out of memory" in text.lower() or "can't allocate memory" in text:
            return True  # "CUDA out of memory", "DefaultCPUAllocator: can't allocate memory"
    return False


def _is_storage_or_network(e: BaseException) -> bool:
    if isinstance(e, ObjectNotFound | StorageRefused | ConnectionError | CheckpointError):
        return True
    kind = type(e)
    names = {c.__module__.split(".")[0] for c in kind.__mro__}
    if names & {"httpx", "httpcore", "urllib3", "minio"}:
        return True
    return isinstance(e, OSError) and e.errno is not None  # ENOSPC, EIO, EACCES on the store


def classify(exc: BaseException, spec: TrainingJobSpec, device: str = "cpu",
             parameter_count: int | None = None) -> Failure:
    chain = list(_chain(exc))
    for e in chain:
        if isinstance(e, TrainerError | TrainingFormatError):
            return _known(e, spec)
    if is_out_of_memory(exc):
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        return out_of_memory(spec, device, parameter_count, detail=detail)
    for e in chain:
        if isinstance(e, TimeoutError | socket.timeout) or type(e).__name__.endswith("Timeout"):
            return Failure("timeout", f"A network or storage operation timed out: {e}",
                           "Check that the storage endpoint and gateway are reachable from the "
                           "training machine, then resume the job.")
    for e in chain:
        if _is_storage_or_network(e):
            return Failure("network_storage", f"Storage or network failed: {type(e).__name__}: {e}",
                           "Check the storage URL, its credentials and free space, then resume "
                           "the job; checkpoints already written are kept.")
    return Failure("internal", f"The trainer hit an unexpected error: {type(exc).__name__}: {exc}",
                   "Retry the job; if it fails again the same way, report it with the job id.")


def _known(e: BaseException, spec: TrainingJobSpec) -> Failure:
    if isinstance(e, TrainingFormatError):
        return Failure("data_format", e.message, e.how_to_fix)
    if isinstance(e, TrainingDataError):
        return Failure("data_format", str(e), e.how_to_fix)
    if isinstance(e, NaNLossError):
        lr = spec.hyperparameters.learning_rate
        return Failure(
            "nan_loss", f"Training diverged: {e}.",
            "Lower the learning rate (halved below) and retry; if it persists, check the data "
            "for extremely long or repeated texts.",
            {"learning_rate": lr / 2},
        )
    if isinstance(e, Interrupted):
        where = f" Checkpoint {e.checkpoint_key} holds the progress." if e.checkpoint_key else ""
        return Failure("interrupted", f"Training was {e}.{where}",
                       "Resume the job: it continues from the last checkpoint.")
    assert isinstance(e, TrainerError)
    return Failure(e.failure_class, str(e))


def out_of_memory(spec: TrainingJobSpec, device: str, parameter_count: int | None,
                  detail: str = "") -> Failure:
    hp, lora = spec.hyperparameters, spec.lora
    kind = "cuda" if device.startswith("cuda") else "cpu"
    smaller = shrink(micro_batch_size=hp.micro_batch_size, grad_accumulation=hp.grad_accumulation,
                     max_seq_len=hp.max_seq_len, lora_r=lora.r, device=kind)
    estimate = estimate_training_memory(
        parameter_count=parameter_count or spec.model.parameter_count,
        quantization=spec.model.quantization, lora_r=lora.r,
        micro_batch_size=hp.micro_batch_size, max_seq_len=hp.max_seq_len,
        device=kind, target_modules=lora.target_modules,
    )
    message = (f"The {device.upper()} ran out of memory ({detail}). With micro_batch_size="
               f"{hp.micro_batch_size} and max_seq_len={hp.max_seq_len} this run needs "
               f"{estimate.describe()}.")
    return Failure("out_of_memory", message, smaller.fix, dict(smaller.changes))
