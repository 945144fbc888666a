"""Measure the plan's suites one after another; store each detail, report each outcome.

A suite that fails is reported (SuiteMeasured ok=False, a plain message) and the next one runs:
validation never costs the adapter, which is saved before it starts, and never hides the suites
that did work behind the one that did not.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from collections.abc import Callable

import msgspec
import torch

from libs.common.storage import ObjectStore
from proto.training import StageChanged, SuiteMeasured
from proto.validation import SUITES, SuiteDetail
from trainer.errors import is_out_of_memory
from trainer.report import Reporter
from trainer.validation import answers, knowledge, perplexity
from trainer.validation.context import Context

log = logging.getLogger("trainer.validation")

PROGRESS_EVERY_S = 2.0  # at most one progress StageChanged this often: a webhook each
MESSAGE_MAX = 300

MEASURES: dict[str, Callable[[Context], SuiteDetail]] = {
    "perplexity": lambda ctx: perplexity.measure(ctx.model, ctx.val, ctx.pad_id, ctx.device,
                                                 ctx.progress, ctx.trained_val_loss),
    "emotional_intelligence": answers.emotional_intelligence,
    "knowledge_retention": knowledge.measure,
    "brand_voice": answers.brand_voice,
}
LABELS = {"perplexity": "Perplexity", "emotional_intelligence": "Emotional intelligence",
          "knowledge_retention": "Knowledge retention", "brand_voice": "Brand voice"}


def detail_key(output_prefix: str, attempt: int, suite: str) -> str:
    return f"{output_prefix.rstrip('/')}/validation/attempt-{attempt}/{suite}.json"


def progress_reporter(reporter: Reporter, every_s: float = PROGRESS_EVERY_S
                      ) -> Callable[[str], None]:
    """StageChanged("validating", detail) no more often than `every_s`."""
    last = [float("-inf")]

    def progress(detail: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            reporter.emit(StageChanged, stage="validating", detail=detail)

    return progress


def failure_message(exc: BaseException) -> str:
    """Why, in one plain line (readers prefix the suite: "Perplexity could not be measured: ")."""
    if is_out_of_memory(exc):
        return "the model ran out of memory while measuring it"
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:MESSAGE_MAX]


def measure(ctx: Context, suite: str, store: ObjectStore, key: str, reporter: Reporter
            ) -> SuiteMeasured:
    started = time.monotonic()
    try:
        body = msgspec.json.encode(MEASURES[suite](ctx))
        store.put_bytes(key, body)
    except Exception as exc:
        log.exception("validation suite %s failed", suite)
        if ctx.device == "cuda":
            gc.collect()
            torch.cuda.empty_cache()  # what the failed suite held, for the next one
        return reporter.emit(SuiteMeasured, suite=suite, ok=False,
                             message=failure_message(exc),
                             duration_s=round(time.monotonic() - started, 3))
    log.info("validation suite %s measured in %.1f s", suite, time.monotonic() - started)
    return reporter.emit(SuiteMeasured, suite=suite, ok=True,
                         duration_s=round(time.monotonic() - started, 3), detail_key=key,
                         detail_sha256=hashlib.sha256(body).hexdigest())


def run_suites(ctx: Context, store: ObjectStore, output_prefix: str, attempt: int,
               reporter: Reporter, stopping: Callable[[], bool] = lambda: False
               ) -> list[SuiteMeasured]:
    """The plan's suites in a fixed order (emotional intelligence before brand voice, which
    reuses its trained answers), the model in eval mode: no dropout, no recomputation.

    Once `stopping()` (SIGTERM: the instance is going), the suites not yet started are reported
    as not measured, so the job still completes with its adapter inside the grace period."""
    ctx.model.eval()
    wanted = [s for s in SUITES if s in ctx.plan.suites]
    reporter.emit(StageChanged, stage="validating",
                  detail=f"measuring {len(wanted)} suite{'s' if len(wanted) != 1 else ''}: "
                         + ", ".join(LABELS[s].lower() for s in wanted))
    results = []
    for suite in wanted:
        if stopping():
            results.append(reporter.emit(SuiteMeasured, suite=suite, ok=False, message=(
                "the instance was stopped before this suite ran; re-run it")))
            continue
        results.append(measure(ctx, suite, store, detail_key(output_prefix, attempt, suite),
                               reporter))
    return results
