"""Our training files, jobs, events and checkpoints in OpenAI's object shapes, and the tables
that translate names between the two (statuses, models). Pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from proto.presets import PRESETS
from proto.training import ModelRef
from services.gateway.openai_api import ids
from services.gateway.openai_api.errors import with_fix

# Our job statuses as OpenAI's. `validating_files` has no counterpart: our files are parsed
# and checked for eligibility at upload, before any job can exist, so no job waits on it.
STATUSES = {
    "queued": "queued", "waiting_for_gpu": "queued", "provisioning": "queued",
    "preprocessing": "running", "model_loading": "running", "training": "running",
    "recovering": "running", "finalizing": "running", "validating": "running",
    "completed": "succeeded", "failed": "failed", "cancelled": "cancelled",
}

_EMBEDDED = ModelRef()  # embedded:smollm2-135m-instruct
# The model names /v1 accepts, as our model refs. The hub id is the model the embedded one was
# converted from (trainer/model.EMBEDDED_HUB_IDS), so OpenAI-style scripts naming it train it.
MODELS: dict[str, ModelRef] = {
    _EMBEDDED.name: _EMBEDDED,
    "HuggingFaceTB/SmolLM2-135M-Instruct": _EMBEDDED,
    "tiny-random-llama": ModelRef(name="tiny-random-llama", parameter_count=3_200_000),
}


def unix(value: str | datetime | None) -> int | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return int(moment.timestamp())


def file_object(row: dict[str, Any]) -> dict[str, Any]:
    eligibility = row.get("eligibility") or {}
    problems = eligibility.get("problems") or []
    return {
        "id": ids.to_openai(ids.FILE, row["id"]), "object": "file", "bytes": row["size_bytes"],
        "created_at": unix(row["created_at"]), "filename": row["filename"],
        "purpose": "fine-tune",
        # Parsed and analysed at upload: "processed". Why it cannot train (if so) is said here
        # and again, with how to fix it, when a job names it.
        "status": "processed", "expires_at": None,
        "status_details": "; ".join(p["message"] for p in problems) or None,
    }


def _hyperparameters(job: dict[str, Any]) -> dict[str, Any]:
    hyper = job["hyperparameters"]
    preset = PRESETS.get(job["preset"]) or PRESETS["balanced"]
    return {"n_epochs": hyper["epochs"],
            "batch_size": hyper["micro_batch_size"] * hyper["grad_accumulation"],
            "learning_rate_multiplier": round(
                hyper["learning_rate"] / preset.hyperparameters.learning_rate, 6)}


def fine_tuned_model(job: dict[str, Any]) -> str | None:
    """A name for the trained adapter, OpenAI's `ft:<base>:<org>:<suffix>:<id>` pattern; the
    adapter itself downloads from /api/v1/jobs/{id}/artifacts/adapter."""
    if job["status"] != "completed":
        return None
    suffix = re.sub(r"[^A-Za-z0-9]+", "-", job["name"]).strip("-")[:40].strip("-").lower()
    return f"ft:{job['model']['name']}:brightrun:{suffix}:{ids.to_openai(ids.JOB, job['id'])[6:14]}"


def _error(job: dict[str, Any]) -> dict[str, Any] | None:
    error = job.get("error")
    if job["status"] != "failed" or not error:
        return None
    return {"code": error.get("failure_class") or "failed",
            "message": with_fix(error.get("message") or "Training failed.",
                                error.get("suggested_fix") or ""),
            "param": None}


def job_object(job: dict[str, Any], trained_tokens: int | None = None,
               estimated_finish: int | None = None) -> dict[str, Any]:
    hyperparameters = _hyperparameters(job)
    return {
        "id": ids.to_openai(ids.JOB, job["id"]), "object": "fine_tuning.job",
        "created_at": unix(job["created_at"]), "finished_at": unix(job["finished_at"]),
        "model": job["model"]["name"], "fine_tuned_model": fine_tuned_model(job),
        "organization_id": "brightrun", "result_files": [],
        "status": STATUSES.get(job["status"], "running"),
        "training_file": ids.to_openai(ids.FILE, job["training_file_id"]),
        "validation_file": None,  # the trainer holds out a share of the training file
        "hyperparameters": hyperparameters,
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}},
        "seed": job["hyperparameters"].get("seed", 42),
        "trained_tokens": trained_tokens, "estimated_finish": estimated_finish,
        "error": _error(job), "integrations": [], "metadata": None,
    }


_LEVELS = {"error": "error", "warning": "warn"}


def _event_data(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Metrics events carry OpenAI's metric names; the others our event as reported."""
    if kind == "progress":
        return {"step": payload["step"], "total_steps": payload["total_steps"],
                "train_loss": payload["loss"], "learning_rate": payload["learning_rate"],
                "epoch": payload["epoch"]}
    if kind == "evaluation":
        return {"step": payload["step"], "valid_loss": payload["val_loss"],
                "perplexity": payload["perplexity"], "epoch": payload["epoch"]}
    return payload


def event_object(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ids.to_openai(ids.EVENT, row["event_id"]), "object": "fine_tuning.job.event",
        "created_at": unix(row["occurred_at"]), "level": _LEVELS.get(row["category"], "info"),
        "message": row["message"], "data": _event_data(row["kind"], row["payload"] or {}),
        "type": "metrics" if row["kind"] in ("progress", "evaluation") else "message",
    }


def checkpoint_object(job: dict[str, Any], step: int, created_at: int | None,
                      metrics: dict[str, Any]) -> dict[str, Any]:
    base = f"ft:{job['model']['name']}:brightrun:{ids.to_openai(ids.JOB, job['id'])[6:14]}"
    return {
        "id": ids.checkpoint_id(job["id"], step), "object": "fine_tuning.job.checkpoint",
        "created_at": created_at or unix(job["created_at"]),
        "fine_tuned_model_checkpoint": f"{base}:ckpt-step-{step}",
        "fine_tuning_job_id": ids.to_openai(ids.JOB, job["id"]), "step_number": step,
        "metrics": {"step": step, **metrics},
    }


def page(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}
