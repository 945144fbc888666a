"""Progress inside a stage (UJ2.2.1, UJ2.3.1, UJ2.3.2): counts, a percent and a time estimate
as StageChanged events on the stage-event path the console already draws.

Throttled: a 100,000-example file would otherwise post 100,000 webhooks. A tick goes out at the
start and the end of a sub-step, and between them when it has moved EVERY_PCT points and
MIN_INTERVAL_S has passed — at most 21 a sub-step, at most one a second — or, on a slow
sub-step, when MAX_SILENCE_S has passed with any movement (the spec wants status within 30 s).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from proto.training import StageChanged, StageProgress, TrainingReady

EVERY_PCT = 5.0
MIN_INTERVAL_S = 1.0
MAX_SILENCE_S = 25.0
# Model loading from a local disk: the rate assumed before anything is measured (a plain
# default, and said so in the event).
DEFAULT_LOAD_BYTES_PER_S = 500 * 10**6
BACKWARD_FACTOR = 3.0  # forward + backward ≈ 3 forwards (backward computes two products)


class Throttle:
    """Which of a sub-step's counts are worth an event (pure: the clock is given)."""

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.clock = total, clock
        self.started = clock()
        self._last_pct: float | None = None
        self._last_at = self.started
        self._last_done = -1

    def percent(self, done: int) -> float:
        return 100.0 if self.total <= 0 else min(100.0, 100.0 * done / self.total)

    def due(self, done: int) -> bool:
        now, pct = self.clock(), self.percent(done)
        if self._last_pct is None or (done >= self.total and self._last_done < self.total):
            return self._mark(now, pct, done)
        quiet = now - self._last_at
        moved = done > self._last_done
        if quiet >= MIN_INTERVAL_S and pct - self._last_pct >= EVERY_PCT:
            return self._mark(now, pct, done)
        if quiet >= MAX_SILENCE_S and moved:
            return self._mark(now, pct, done)
        return False

    def _mark(self, now: float, pct: float, done: int) -> bool:
        self._last_at, self._last_pct, self._last_done = now, pct, done
        return True

    def remaining_s(self, done: int) -> float | None:
        """From this sub-step's own rate so far; None before anything is done."""
        spent = self.clock() - self.started
        if done <= 0 or spent <= 0:
            return None
        return round(spent / done * max(0, self.total - done), 1)


class StageTicker:
    """Reports one sub-step's counts: `ticker(done)` after each unit of work."""

    def __init__(self, reporter: Any, stage: str, total: int, describe: Callable[[int, int], str],
                 unit: str = "examples", clock: Callable[[], float] = time.monotonic) -> None:
        self.reporter, self.stage, self.unit, self.describe = reporter, stage, unit, describe
        self.throttle = Throttle(total, clock)
        self.sent = 0

    def __call__(self, done: int) -> None:
        if not self.throttle.due(done):
            return
        total = self.throttle.total
        self.reporter.emit(StageChanged, stage=self.stage, detail=self.describe(done, total),
                           progress=StageProgress(
                               percent=round(self.throttle.percent(done), 1), done=done,
                               total=total, unit=self.unit,
                               remaining_s=self.throttle.remaining_s(done),
                               remaining_basis="measured"))
        self.sent += 1


def tokenizing(done: int, total: int) -> str:
    return f"tokenizing {done:,} of {total:,} examples"


# --- model loading --------------------------------------------------------------------------------


def weights_bytes(source: str | None) -> int:
    """The bytes of weights a local model directory holds (0: built from a config)."""
    from pathlib import Path

    if source is None or not Path(source).is_dir():
        return 0
    return sum(p.stat().st_size for p in Path(source).rglob("*")
               if p.suffix in (".safetensors", ".bin", ".gguf", ".pt"))


def weights_on_disk(source: str | None) -> tuple[bool, int]:
    """(cached, bytes): built from a config, a local directory, or a hub id whose snapshot is
    in the Hugging Face cache are cached; any other hub id will be downloaded (size unknown
    until it starts)."""
    from pathlib import Path

    if source is None or Path(source).is_dir():
        return True, weights_bytes(source)
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(source, "config.json")
    if isinstance(found, str):
        return True, weights_bytes(str(Path(found).parent))
    return False, 0


def loading_detail(name: str, size_bytes: int, cached: bool = True) -> str:
    if not cached:
        return f"downloading {name} from the model hub (not cached on this machine)"
    if size_bytes <= 0:
        return f"building {name} from its config (cached: nothing to download)"
    return f"loading {name} from the local cache ({size_bytes / 1e6:,.0f} MB, cached)"


def loading(done_bytes: int, total_bytes: int, cached: bool = True) -> StageProgress:
    """Loading `total_bytes` of cached weights: the remaining time at the default disk rate
    until the load is done. A download's size is unknown here (from_pretrained fetches it):
    no estimate, said so, rather than a made-up one."""
    pct = 100.0 if total_bytes <= 0 or done_bytes >= total_bytes else 100.0 * done_bytes / total_bytes
    if not cached:
        return StageProgress(percent=0.0 if done_bytes == 0 else 100.0, done=done_bytes,
                             total=total_bytes, unit="bytes", remaining_s=None,
                             remaining_basis="download size not known before it starts",
                             cache="downloading")
    left = max(0, total_bytes - done_bytes)
    return StageProgress(percent=round(pct, 1), done=done_bytes, total=total_bytes, unit="bytes",
                         remaining_s=round(left / DEFAULT_LOAD_BYTES_PER_S, 1),
                         remaining_basis=f"default: {DEFAULT_LOAD_BYTES_PER_S // 10**6} MB/s "
                                         "read from a local disk",
                         cache="cached")


# --- ready to train ---------------------------------------------------------------------------------


def step_time_estimate(forward_s: float, sequences_per_step: int, rows_per_pass: int) -> float:
    """A step: its passes (rows_per_pass sequences each), each a forward and a backward."""
    passes = math.ceil(sequences_per_step / max(1, rows_per_pass))
    return BACKWARD_FACTOR * forward_s * passes


def ready(*, conversations: int, pairs: int, sequences: int, model: str, nf4: bool, epochs: int,
          total_steps: int, done_steps: int, step_time_s: float, measured: bool) -> TrainingReady:
    left = max(0, total_steps - done_steps)
    return TrainingReady(conversations=conversations, training_pairs=pairs, sequences=sequences,
                         model=model, quantization="nf4" if nf4 else "none", epochs=epochs,
                         total_steps=total_steps, steps_left=left,
                         step_time_s=round(step_time_s, 4),
                         step_time_basis="measured" if measured else "estimated",
                         expected_training_s=round(left * step_time_s, 1))


def timed_forward_s(model: Any, examples: list[Any], rows: int, pad_id: int, device: str) -> float:
    """Seconds one forward pass of `rows` median-length sequences takes, adapters on, no
    gradient (so no optimizer, RNG or dropout state moves): the fastest of three, the first
    paying for warm-up."""
    import torch

    from trainer.batching import collate
    from trainer.loop import loss_sum

    by_length = sorted(examples, key=lambda e: len(e.input_ids))
    middle = max(0, len(by_length) // 2 - rows // 2)
    batch = {k: t.to(device) for k, t in collate(by_length[middle:middle + rows], pad_id).items()}
    was_training = model.training
    model.eval()
    best = math.inf
    try:
        with torch.no_grad():
            for _ in range(3):
                started = time.perf_counter()
                loss_sum(model, batch)
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - started)
    finally:
        model.train(was_training)
    return best
