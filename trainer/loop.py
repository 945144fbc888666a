"""The training loop, in plain sight: AdamW on the LoRA parameters, warmup then cosine decay,
gradient accumulation, clipping at 1.0, progress/eval/checkpoint hooks, SIGTERM, NaN guard,
and a step that runs out of memory redone with less (every layer checkpointed, then smaller
passes: trainer.activations).

Exact resume: the batches of an epoch are a pure function of (seed, epoch) (batching.py),
dropout is reseeded from (seed, step) at every step, and the checkpoint restores weights,
optimizer, scheduler and position — so a resumed run replays the same losses, step for step.
"""

from __future__ import annotations

import hashlib
import logging
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from libs.common.storage import ObjectStore
from proto.training import CheckpointSaved, Evaluation, Progress, TrainingJobSpec
from trainer import activations, checkpoint
from trainer.batching import collate, eval_batches, forward_passes, plan_epoch, step_groups
from trainer.checkpoint import TrainerState
from trainer.data import IGNORE_INDEX, Example, PreparedData
from trainer.errors import Interrupted, NaNLossError, is_out_of_memory
from trainer.report import Reporter

log = logging.getLogger("trainer.loop")

MAX_GRAD_NORM = 1.0


class StopFlag:
    """SIGTERM sets a flag; the loop stops at the next step boundary, checkpointing there if the
    save fits in what is left of the machine's grace (`grace_s`, from the spec)."""

    def __init__(self, grace_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s, self.clock = grace_s, clock
        self.requested_at: float | None = None  # the first SIGTERM's time

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        log.warning("SIGTERM: stopping at the end of this step (%.0f s before SIGKILL)",
                    self.grace_s)
        self.request()

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def request(self) -> None:
        if self.requested_at is None:
            self.requested_at = self.clock()

    def left_s(self) -> float:
        """Seconds until SIGKILL, as far as the grace goes (all of it before any SIGTERM)."""
        if self.requested_at is None:
            return self.grace_s
        return self.grace_s - (self.clock() - self.requested_at)


class WarmupDecay:
    """Learning-rate multiplier: linear warmup, then cosine (or linear) decay to zero.
    A callable object rather than a lambda, so LambdaLR's state_dict can carry it."""

    def __init__(self, warmup_steps: int, total_steps: int, kind: str = "cosine") -> None:
        self.warmup_steps, self.total_steps, self.kind = warmup_steps, total_steps, kind

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        progress = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        progress = min(progress, 1.0)
        if self.kind == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(params: list[torch.nn.Parameter], spec: TrainingJobSpec
                   ) -> torch.optim.Optimizer:
    hp = spec.hyperparameters
    return torch.optim.AdamW(params, lr=hp.learning_rate, weight_decay=hp.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, spec: TrainingJobSpec, total_steps: int
                   ) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = math.ceil(spec.hyperparameters.warmup_ratio * total_steps)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupDecay(warmup, total_steps))


@dataclass
class Run:
    """Everything the loop touches, built by the recipe."""

    spec: TrainingJobSpec
    model: Any
    optimizer: torch.optim.Optimizer
    scheduler: Any
    data: PreparedData
    state: TrainerState
    reporter: Reporter
    store: ObjectStore
    stop: StopFlag
    device: str
    pad_id: int
    total_steps: int
    capped: bool  # max_steps ends the run before the last epoch does
    last_checkpoint: tuple[int, str, int] | None = None  # step, key, size in bytes
    last_save_s: float | None = None  # how long the last checkpoint took to write, measured
    _plans: dict[int, list[list[list[int]]]] = field(default_factory=dict)

    def groups(self, epoch: int) -> list[list[list[int]]]:
        if epoch not in self._plans:
            hp = self.spec.hyperparameters
            lengths = [len(e.input_ids) for e in self.data.train]
            self._plans = {epoch: step_groups(
                plan_epoch(lengths, hp.micro_batch_size, hp.seed, epoch), hp.grad_accumulation)}
        return self._plans[epoch]


def step_seed(seed: int, step: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:dropout:{step}".encode()).digest()[:8], "big")


def target_nll(model: Any, batch: dict[str, torch.Tensor],
               reduction: str = "sum") -> tuple[torch.Tensor, list[int]]:
    """Cross-entropy of the target tokens (summed, or per token with reduction "none", row
    after row), and how many targets each row has.

    Only positions that predict a target token are projected onto the vocabulary
    (`logits_to_keep` mask): prompts are most of each example, logits most of the memory."""
    labels = batch["labels"]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    targets = labels[:, 1:][keep[:, :-1]]
    # bf16 autocast on CUDA: the adapters are fp32 and would otherwise run at fp32 speed.
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=labels.is_cuda):
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    logits_to_keep=keep)
    logits = out.logits.reshape(-1, out.logits.shape[-1]).float()
    return F.cross_entropy(logits, targets, reduction=reduction), keep.sum(dim=1).tolist()


def loss_sum(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over target tokens, and how many there were."""
    summed, counts = target_nll(model, batch)
    return summed, sum(counts)


def _to(batch: dict[str, torch.Tensor], device: str) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}


def _targets(examples: list[Example]) -> int:
    return sum(e.target_count for e in examples)


def train_step(run: Run, group: list[list[int]]) -> tuple[float, float, float, int]:
    """One optimizer step over a group of micro-batches: (loss, grad norm, learning rate used,
    tokens seen)."""
    step = run.state.step + 1
    loss, tokens = accumulate_fitting(run, group)
    if not math.isfinite(loss):
        raise NaNLossError(step, "loss", loss)
    params = [p for p in run.model.parameters() if p.requires_grad]
    grad_norm = float(torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM))
    if not math.isfinite(grad_norm):
        raise NaNLossError(step, "gradient norm", grad_norm)
    learning_rate = run.scheduler.get_last_lr()[0]
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return loss, grad_norm, learning_rate, tokens


def accumulate_fitting(run: Run, group: list[list[int]]) -> tuple[float, int]:
    """accumulate(); if memory runs out, ask for less and redo the step's passes: first every
    layer checkpointed, then half as many sequences a pass, down to one. The same step, since
    accumulate reseeds its dropout; a new pass size draws other masks, so it is kept from then
    on, in the checkpoints too, and a resumed run replays it."""
    layers = len(activations.decoder_layers(run.model))
    while True:
        try:
            return accumulate(run, group)
        except Exception as exc:
            least = activations.checkpointed(run.model) == layers and run.state.rows_per_pass == 1
            if not is_out_of_memory(exc) or least:
                raise
            cause = str(exc).splitlines()[0][:200]
        # Here, not in the except block: the traceback's frames hold the failed pass's tensors.
        run.optimizer.zero_grad(set_to_none=True)
        kept, rows = activations.checkpointed(run.model), run.state.rows_per_pass
        change = _use_less_memory(run, layers)
        log.warning("out of memory at step %d with %d of %d layers checkpointed and %d "
                    "sequence(s) a pass (%s): %s and redoing the step", run.state.step + 1,
                    kept, layers, rows, cause, change)
        if run.device == "cuda":
            torch.cuda.empty_cache()


def _use_less_memory(run: Run, layers: int) -> str:
    """Checkpoint every layer or, where every one already is, halve the sequences a pass; says
    which."""
    if activations.checkpointed(run.model) < layers:
        activations.checkpoint_layers(run.model, layers)
        return f"checkpointing all {layers} layers"
    run.state.rows_per_pass //= 2
    rows = run.state.rows_per_pass
    return f"running {rows} sequence{'s' if rows > 1 else ''} a pass"


def accumulate(run: Run, group: list[list[int]]) -> tuple[float, int]:
    """Forward and backward over the step's sequences, in passes of the plan's size, gradients
    summed: (loss per target token, tokens seen)."""
    torch.manual_seed(step_seed(run.spec.hyperparameters.seed, run.state.step + 1))  # resume replays
    examples = [run.data.train[i] for batch in group for i in batch]
    # Normalise by the step's target-token count, so accumulation equals one big batch.
    n_targets = _targets(examples)
    total = 0.0
    for rows in forward_passes(examples, run.state.rows_per_pass):
        summed, _ = loss_sum(run.model, _to(collate(rows, run.pad_id), run.device))
        (summed / n_targets).backward()
        total += summed.item()
    return total / n_targets, sum(len(e.input_ids) for e in examples)


@torch.no_grad()
def evaluate(run: Run) -> tuple[float, float]:
    """Validation loss over target tokens, and its perplexity."""
    examples = run.data.val or run.data.train  # no held-out set: say how training data fares
    run.model.eval()
    total, count = 0.0, 0
    for batch in eval_batches(examples, run.spec.hyperparameters.micro_batch_size):
        for rows in forward_passes([examples[i] for i in batch], run.state.rows_per_pass):
            summed, n = loss_sum(run.model, _to(collate(rows, run.pad_id), run.device))
            total, count = total + summed.item(), count + n
    run.model.train()
    val_loss = total / max(count, 1)
    perplexity = math.exp(val_loss) if val_loss < 700 else float("inf")
    return val_loss, perplexity


def memory_bytes(device: str) -> int:
    if device == "cuda":
        return torch.cuda.max_memory_allocated()
    import psutil

    return psutil.Process().memory_info().rss


def save_checkpoint(run: Run, reason: str) -> str:
    s = run.state
    if run.last_checkpoint and run.last_checkpoint[0] == s.step:
        _, key, size = run.last_checkpoint  # this step is saved already: say why it matters now
    else:
        started = time.monotonic()
        key, size = checkpoint.save(run.store, run.spec.output_prefix, run.model, run.optimizer,
                                    run.scheduler, s, run.spec.hyperparameters.keep_checkpoints)
        run.last_checkpoint, run.last_save_s = (s.step, key, size), time.monotonic() - started
    run.reporter.emit(CheckpointSaved, step=s.step, key=key, size_bytes=size, reason=reason)
    return key


# Kept back from the grace for the events that say the run stopped (Interrupted → Failed).
DELIVERY_RESERVE_S = 1.0


def stopped(run: Run) -> Interrupted:
    """SIGTERM at a step boundary: this step is checkpointed if the last save's measured time
    fits in what is left before SIGKILL (RunPod gives 5 s); otherwise the run stops on the
    checkpoint it has, rather than be killed half-way through a save and report nothing."""
    s = run.state
    if not s.step:
        return Interrupted(s.step, None)
    already = run.last_checkpoint is not None and run.last_checkpoint[0] == s.step
    needed = (run.last_save_s or 0.0) + DELIVERY_RESERVE_S
    if already or run.stop.left_s() >= needed:
        return Interrupted(s.step, save_checkpoint(run, "sigterm"))
    log.warning("SIGTERM: %.1f s left before SIGKILL, a checkpoint took %.1f s: stopping on "
                "the one at step %s", run.stop.left_s(), run.last_save_s or 0.0,
                run.last_checkpoint[0] if run.last_checkpoint else "none")
    return Interrupted(s.step, run.last_checkpoint[1] if run.last_checkpoint else None)


def _evaluate_and_report(run: Run, epoch: float) -> None:
    s = run.state
    s.val_loss, s.perplexity = evaluate(run)
    s.evaluated_at_step = s.step
    run.reporter.emit(Evaluation, step=s.step, epoch=epoch, val_loss=s.val_loss,
                      perplexity=s.perplexity)


def train(run: Run) -> TrainerState:
    hp, s = run.spec.hyperparameters, run.state
    # from_pretrained hands models over in eval mode: without this, dropout (and gradient
    # checkpointing) would switch on only after the first evaluation — and a resumed run
    # would not replay an uninterrupted one.
    run.model.train()
    window_tokens, window_s = 0, 0.0
    while s.step < run.total_steps and s.epoch < hp.epochs:
        if run.stop.requested:
            raise stopped(run)
        groups = run.groups(s.epoch)
        started = time.perf_counter()
        loss, grad_norm, lr, tokens = train_step(run, groups[s.group])
        elapsed = time.perf_counter() - started
        s.step, s.group = s.step + 1, s.group + 1
        s.losses.append(loss)
        s.tokens_trained += tokens
        s.train_runtime_s += elapsed
        window_tokens, window_s = window_tokens + tokens, window_s + elapsed
        epoch = s.epoch + s.group / len(groups)
        if s.step % hp.report_every_steps == 0 or s.step == run.total_steps:
            recent = s.losses[(s.step - 1) // hp.report_every_steps * hp.report_every_steps:]
            run.reporter.emit(
                Progress, step=s.step, total_steps=run.total_steps, epoch=round(epoch, 4),
                loss=sum(recent) / len(recent), learning_rate=lr,
                grad_norm=grad_norm, tokens_per_s=window_tokens / max(window_s, 1e-9),
                memory_bytes=memory_bytes(run.device))
            window_tokens, window_s = 0, 0.0
        if s.group == len(groups):  # epoch end: evaluate, then move on
            _evaluate_and_report(run, float(s.epoch + 1))
            s.epoch, s.group = s.epoch + 1, 0
        if s.step % hp.checkpoint_every_steps == 0 and s.step < run.total_steps:
            save_checkpoint(run, "interval")
        if run.stop.requested:
            raise stopped(run)
    if s.evaluated_at_step != s.step:
        _evaluate_and_report(run, s.epoch + s.group / len(run.groups(min(s.epoch, hp.epochs - 1))))
    save_checkpoint(run, "cap" if run.capped else "final")
    return s
