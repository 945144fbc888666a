"""How an event reads in the log, and progress derived from the metrics. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from proto.jobs import GpuChoiceMade, GpuUnavailable, JobStatusChanged, StageStuck
from proto.monitoring import GpuView
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
    StageProgress,
    SuiteMeasured,
    TrainingReady,
)


def _mib(n: int | None) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "n/a"


def describe(event: Any) -> tuple[str, str, str]:
    """(kind, category, message) for the event log."""
    match event:
        case StageChanged(ready=TrainingReady() as ready):
            return "stage", "status", ready_line(ready)
        case StageChanged(progress=StageProgress() as tick):
            # Ticks inside a stage are many: "metrics", so the status log keeps to the changes.
            return "stage", "metrics" if tick.percent < 100 else "status", (
                f"Stage: {event.stage.replace('_', ' ')} — {event.detail} ({tick.percent:.0f}%)")
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
            conversations = f"{event.conversations:,} conversations, " if event.conversations else ""
            return "data", category, (
                f"Preprocessing complete - {event.train_examples:,} training pairs ready "
                f"({conversations}{event.val_examples:,} validation pairs held out). "
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


def ready_line(ready: TrainingReady) -> str:
    """UJ2.3.2, as the log reads it."""
    quantized = " (4-bit quantized)" if ready.quantization == "nf4" else ""
    return (f"Ready to train: {ready.conversations:,} conversations ({ready.training_pairs:,} pairs)"
            f" · {ready.model}{quantized} · {ready.epochs} epochs, {ready.steps_left:,} steps "
            f"× {ready.step_time_s:.2f} s ({ready.step_time_basis}) ≈ "
            f"{ready.expected_training_s / 60:.0f} min")


def expected_completion(view: dict[str, Any], ready: TrainingReady | None,
                        ready_at: datetime | None) -> tuple[datetime | None, str | None]:
    """When training should end: from the measured step rate once steps have been timed, else
    from the Ready-to-train summary's step time (measured or estimated, as it says)."""
    if view.get("remaining_s") is not None and view.get("last_event_at") is not None:
        return view["last_event_at"] + timedelta(seconds=view["remaining_s"]), "measured"
    if ready is not None and ready_at is not None:
        return ready_at + timedelta(seconds=ready.expected_training_s), ready.step_time_basis
    return None, None


CPU_REASON = "the job runs on a CPU: there is no GPU to measure"


def gpu_view(sample: dict[str, Any] | None, at: datetime | None) -> GpuView:
    """UJ3.1.3's GPU utilisation and memory from the latest resource sample; null figures
    always come with the reason."""
    if sample is None:
        return GpuView(unavailable_reason="no resource sample reported yet")
    device = sample.get("device") or ""
    if not device.startswith("cuda"):
        return GpuView(device=device, at=at, unavailable_reason=CPU_REASON)
    utilisation = sample.get("utilisation_pct")
    return GpuView(device=device, at=at, utilisation_pct=utilisation,
                   memory_bytes=sample.get("memory_bytes"),
                   memory_total_bytes=sample.get("memory_total_bytes"),
                   unavailable_reason=None if utilisation is not None else
                   "utilisation not measured on this machine (NVML unavailable); memory is")
