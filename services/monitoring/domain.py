"""How an event reads in the log, and progress derived from the metrics. No I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from proto.jobs import GpuChoiceMade, GpuUnavailable, JobStatusChanged, StageStuck
from proto.provisioning import (
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
)
from proto.training import (
    CheckpointSaved,
    Completed,
    DataReport,
    Evaluation,
    Failed,
    Heartbeat,
    Progress,
    ResourceSample,
    StageChanged,
    SuiteMeasured,
)


def _mib(n: int | None) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "n/a"


def describe(event: Any) -> tuple[str, str, str]:
    """(kind, category, message) for the event log."""
    match event:
        case StageChanged(stage=stage, detail=detail):
            return "stage", "status", f"Stage: {stage.replace('_', ' ')}" + (f" — {detail}" if detail else "")
        case Progress():
            speed = f" · {event.tokens_per_s:.0f} tok/s" if event.tokens_per_s else ""
            return "progress", "metrics", (
                f"Step {event.step}/{event.total_steps} · epoch {event.epoch:.2f} · "
                f"loss {event.loss:.4f} · lr {event.learning_rate:.2e}{speed}")
        case Evaluation():
            return "evaluation", "metrics", (
                f"Evaluation at step {event.step}: val loss {event.val_loss:.4f}, "
                f"perplexity {event.perplexity:.2f}")
        case CheckpointSaved():
            return "checkpoint", "status", (
                f"Checkpoint saved at step {event.step} ({event.reason}, {_mib(event.size_bytes)})")
        case ResourceSample():
            return "resources", "metrics", (
                f"{event.device}: {_mib(event.memory_bytes)} in use"
                + (f", {event.utilisation_pct:.0f}% busy" if event.utilisation_pct is not None else ""))
        case DataReport():
            skipped = f", {len(event.skipped)} records skipped" if event.skipped else ""
            category = "warning" if event.skipped or event.truncated_examples else "status"
            return "data", category, (
                f"Data ready: {event.train_examples} training / {event.val_examples} validation "
                f"examples, {event.total_tokens} tokens; {event.truncated_examples} truncated "
                f"({event.dropped_tokens} tokens dropped){skipped}")
        case SuiteMeasured(ok=True):
            return "validation", "status", (
                f"Validation: {event.suite.replace('_', ' ')} measured in {event.duration_s:.0f} s")
        case SuiteMeasured():
            return "validation", "error", (
                f"Validation: {event.suite.replace('_', ' ')} could not be measured: {event.message}")
        case Completed():
            return "completed", "status", f"Training completed in {event.steps} steps."
        case Failed():
            return "failed", "error", f"Training failed ({event.failure_class}): {event.message}"
        case Heartbeat():
            return "heartbeat", "metrics", f"Heartbeat at step {event.step}"
        case JobStatusChanged():
            category = {"failed": "error", "recovering": "warning",
                        "waiting_for_gpu": "warning"}.get(event.status, "status")
            return "status", category, (
                f"Status: {event.status}" + (f" — {event.message}" if event.message else ""))
        case InstanceStarted():
            return "instance", "status", event.detail or f"Instance {event.instance_id} started"
        case InstanceExited():
            category = "status" if event.exit_code == 0 else "warning"
            return "instance", category, f"Instance exited (code {event.exit_code}): {event.reason}"
        case InstanceFailedToStart():
            return "instance", "error", f"Instance failed to start: {event.message}"
        case InstanceInterrupted():
            return "interruption", "warning", event.detail or (
                f"Instance {event.instance_id} reclaimed at step {event.step}")
        case StageStuck():
            return "stage_stuck", "warning", event.message
        case GpuUnavailable():
            return "gpu_unavailable", "warning", (
                f"No GPU available (try {event.tries}): {event.message} Options: "
                f"{', '.join(event.options)}; recommended: {event.recommended}.")
        case GpuChoiceMade():
            return "gpu_choice", "status", f"Chosen: {event.choice.replace('_', ' ')}. {event.message}"
    # An event type newer than this service (a trainer ahead of the platform): logged plainly,
    # never refused, or the log's consumer would redeliver it forever.
    return type(event).__name__.lower(), "status", type(event).__name__


def progress(first: dict[str, Any] | None, latest: dict[str, Any] | None,
             latest_eval: dict[str, Any] | None, started_at: datetime | None,
             last_event_at: datetime | None) -> dict[str, Any]:
    """Percent, elapsed and remaining time; the rate comes from training steps alone, so
    provisioning and model loading do not skew the remaining-time figure."""
    view: dict[str, Any] = {"step": 0, "total_steps": 0, "percent": 0.0, "epoch": 0.0,
                            "loss": None, "val_loss": None, "tokens_per_s": None,
                            "started_at": started_at, "last_event_at": last_event_at,
                            "elapsed_s": 0.0, "remaining_s": None}
    if started_at and last_event_at:
        view["elapsed_s"] = max(0.0, (last_event_at - started_at).total_seconds())
    if latest_eval:
        view["val_loss"] = latest_eval["val_loss"]
    if not latest:
        return view
    step, total = latest["step"], latest["total_steps"] or 0
    view.update(step=step, total_steps=total, epoch=latest["epoch"], loss=latest["loss"],
                tokens_per_s=latest["tokens_per_s"])
    if total:
        view["percent"] = round(100.0 * step / total, 1)
    if first and step > first["step"]:
        per_step = (latest["at"] - first["at"]).total_seconds() / (step - first["step"])
        view["remaining_s"] = per_step * max(0, total - step)
    return view
