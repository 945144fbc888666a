"""Packaging rules (no I/O): what a job's artifacts are called and what their documents say."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

from proto.jobs import JobView
from proto.packaging import ArtifactKind

# What a package's requirements.txt pins: exactly the versions this platform runs.
RUNTIME_PACKAGES = ("torch", "transformers", "peft", "accelerate", "safetensors")
TINY = "tiny-random-llama"  # trainer.model.TINY, without importing torch here
EMBEDDED_PREFIX = "embedded:"
RANDOM_PREFIX = "random:"
EXAMPLE_PROMPTS = 10


class BaseModel(msgspec.Struct, frozen=True, kw_only=True):
    """The base an adapter names, and whether a stranger can fetch it."""

    ref: str  # the job's model ref, e.g. "embedded:smollm2-135m-instruct"
    name_or_path: str  # what adapter_config.json's base_model_name_or_path becomes
    on_hub: bool  # a hub id anyone can download
    note: str  # said plainly in the READMEs


def base_model(ref: str, hub_ids: dict[str, str]) -> BaseModel:
    """`hub_ids`: trainer.model.EMBEDDED_HUB_IDS (the one map of embedded name → hub id)."""
    if ref.startswith(EMBEDDED_PREFIX) and ref.removeprefix(EMBEDDED_PREFIX) in hub_ids:
        hub = hub_ids[ref.removeprefix(EMBEDDED_PREFIX)]
        return BaseModel(ref=ref, name_or_path=hub, on_hub=True, note=(
            f"Trained on the platform's embedded copy of {hub}; the adapter names the hub id, "
            "so it loads on any machine that can download it."))
    if ref == TINY or ref.startswith(RANDOM_PREFIX):
        return BaseModel(ref=ref, name_or_path=ref, on_hub=False, note=(
            f"The base model {ref!r} is a randomly initialised test model built inside Bright Run "
            "from a fixed seed. It is on no model hub: set BRIGHTRUN_BASE_MODEL_PATH to a saved "
            "copy of it. Its answers are noise; it exists to test the pipeline."))
    if ref.startswith(("/", ".", "~")) or re.match(r"^[A-Za-z]:\\", ref):
        return BaseModel(ref=ref, name_or_path=ref, on_hub=False, note=(
            f"The base model was loaded from a local path on the training machine ({ref}). "
            "Copy those weights to where you run the adapter and set BRIGHTRUN_BASE_MODEL_PATH "
            "to them."))
    return BaseModel(ref=ref, name_or_path=ref, on_hub=True, note=(
        f"The base model is the hub model {ref}; it is downloaded on first use."))


def adapter_config(config: dict[str, Any], base: BaseModel) -> dict[str, Any]:
    """peft's adapter_config.json with the base model named so it loads elsewhere (the trainer
    wrote the path of its own model cache there)."""
    return {**config, "base_model_name_or_path": base.name_or_path}


def artifact_key(job_id: uuid.UUID, version: int, kind: ArtifactKind) -> str:
    return f"artifacts/{job_id}/v{version}/{kind}.zip"


def filename(job_name: str, kind: ArtifactKind) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", job_name).strip("_") or "job"
    return f"{safe}-{kind}.zip"


def requirements(versions: dict[str, str]) -> str:
    """Exact pins; a local build tag (torch's "+cpu") is dropped so any index can serve it."""
    lines = [f"{name}=={versions[name].split('+', 1)[0]}" for name in RUNTIME_PACKAGES
             if name in versions]
    return "\n".join(lines) + "\n"


# --- the training summary ------------------------------------------------------------------------


class FinalMetrics(msgspec.Struct, frozen=True, kw_only=True):
    steps: int = 0
    epochs: float | None = None
    final_train_loss: float | None = None
    final_val_loss: float | None = None
    final_perplexity: float | None = None
    best_val_loss: float | None = None
    initial_train_loss: float | None = None


def final_metrics(train: list[dict[str, Any]], evals: list[dict[str, Any]]) -> FinalMetrics:
    """From the monitoring service's metrics history (rows ordered by step)."""
    last_train = train[-1] if train else {}
    last_eval = evals[-1] if evals else {}
    val_losses = [r["val_loss"] for r in evals if r.get("val_loss") is not None]
    return FinalMetrics(
        steps=max([r["step"] for r in train + evals] or [0]),
        epochs=last_train.get("epoch") or last_eval.get("epoch"),
        final_train_loss=last_train.get("loss"),
        final_val_loss=last_eval.get("val_loss"),
        final_perplexity=last_eval.get("perplexity"),
        best_val_loss=min(val_losses) if val_losses else None,
        initial_train_loss=train[0].get("loss") if train else None,
    )


class SuiteLine(msgspec.Struct, frozen=True, kw_only=True):
    suite: str
    status: str
    headline: str
    badge: str | None = None


class ValidationSummary(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["not_run", "completed", "in_progress", "failed"]
    headline: str
    suites: list[SuiteLine] = msgspec.field(default_factory=list)


NOT_RUN = ValidationSummary(status="not_run", headline="validation not run")


def validation_summary(result: Any) -> ValidationSummary:
    """What the validation service answered (None: it did not answer, or nothing was run).
    Read for its suite headlines wherever they sit, so a richer answer changes nothing here."""
    if not result:
        return NOT_RUN
    lines = [msgspec.convert(item, SuiteLine) for item in _find_headlines(result)]
    if not lines:
        return NOT_RUN
    done = [line for line in lines if line.status in ("completed", "partial")]
    status = ("completed" if len(done) == len(lines)
              else "failed" if all(line.status == "failed" for line in lines) else "in_progress")
    return ValidationSummary(status=status, suites=lines,
                             headline="; ".join(line.headline for line in done) or status)


def _find_headlines(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        if {"suite", "status", "headline"} <= value.keys():
            return [{k: value[k] for k in ("suite", "status", "headline", "badge") if k in value}]
        found: list[dict[str, Any]] = []
        for item in value.values():
            found += _find_headlines(item)
        return _unique(found)
    if isinstance(value, list):
        return _unique([h for item in value for h in _find_headlines(item)])
    return []


def _unique(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for line in lines:
        seen.setdefault(line["suite"], line)
    return list(seen.values())


class TrainingSummary(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    job_name: str
    base_model: BaseModel
    completed_at: datetime | None
    final_metrics: FinalMetrics
    validation: ValidationSummary
    configuration: dict[str, Any]
    data: dict[str, Any]
    platform: dict[str, str]


def training_summary(job: JobView, metrics: FinalMetrics, validation: ValidationSummary,
                     data: dict[str, Any], base: BaseModel,
                     versions: dict[str, str]) -> TrainingSummary:
    configuration = {
        "model": msgspec.to_builtins(job.model), "lora": msgspec.to_builtins(job.lora),
        "hyperparameters": msgspec.to_builtins(job.hyperparameters), "preset": job.preset,
        "gpu_type": job.gpu_type, "gpu_count": job.gpu_count,
    }
    return TrainingSummary(job_id=job.id, job_name=job.name, base_model=base,
                           completed_at=job.finished_at, final_metrics=metrics,
                           validation=validation, configuration=configuration, data=data,
                           platform={k: versions[k] for k in RUNTIME_PACKAGES if k in versions})


def data_statistics(file: dict[str, Any] | None, report: dict[str, Any] | None) -> dict[str, Any]:
    """The training file's statistics (jobs service) and what the trainer made of it."""
    stats = (file or {}).get("stats") or {}
    keep = ("conversation_count", "pair_count", "usable_pair_count", "null_target_count",
            "human_reviewed_count", "mean_quality", "quality_badge", "estimated_tokens")
    out: dict[str, Any] = {"training_file": (file or {}).get("name")}
    out |= {k: stats[k] for k in keep if k in stats}
    if report:
        out |= {k: report.get(k) for k in ("train_examples", "val_examples", "total_tokens",
                                           "truncated_examples") if k in report}
    return out


def perplexity_from_loss(loss: float | None) -> float | None:
    return None if loss is None or loss > 50 else math.exp(loss)


def fmt(value: float | None, digits: int = 4) -> str:
    return "not measured" if value is None else f"{value:.{digits}f}"


# --- example prompts and the artifact list ---------------------------------------------------------


def example_prompts(scenarios: list[dict[str, Any]], limit: int = EXAMPLE_PROMPTS
                    ) -> list[dict[str, Any]]:
    """Held-out scenarios as prompts: `{id, system_prompt, history, prompt, reference}` each.
    Scenarios come from the validation EI detail (scenario_id, user_input, …) or from training
    pairs of the held-out split (id, current_user_input, …); both shapes are read."""
    out = []
    for s in scenarios:
        prompt = s.get("user_input") or s.get("current_user_input")
        if not prompt:
            continue
        out.append({
            "id": s.get("scenario_id") or s.get("id"),
            "system_prompt": s.get("system_prompt") or "",
            "history": [{"role": t["role"], "content": t["content"]}
                        for t in s.get("history") or []],
            "prompt": prompt,
            "reference": s.get("reference") or s.get("target_response"),
        })
        if len(out) == limit:
            break
    return out


def when_ready(job_status: str) -> str:
    """UJ6: artifacts asked for before they exist: when they will."""
    if job_status == "completed":
        return "They are being built now; this takes under a minute."
    if job_status in ("failed", "cancelled"):
        return (f"The job {job_status}, so it has no trained model to package. Retry or resume "
                "it; artifacts are built when a job completes.")
    return (f"The job is {job_status.replace('_', ' ')}. Artifacts are built when training and "
            "validation finish (status completed), and rebuilt when validation is re-run.")


def artifact_status(kind: str, build: dict[str, Any] | None, row: dict[str, Any] | None,
                    job_status: str) -> tuple[str, str]:
    """(status, message) of one artifact: ready (possibly with a rebuild under way), building,
    failed or pending."""
    rebuilding = build is not None and build["requested"] > build["built"]
    if row and row["status"] == "ready":
        return "ready", ("A newer version is being built." if rebuilding else "")
    if rebuilding:
        return "building", when_ready("completed")
    if row and row["status"] == "failed":
        return "failed", row["message"]
    return "pending", when_ready(job_status)
