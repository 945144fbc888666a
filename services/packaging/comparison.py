"""Run comparison rules (UJ6.4.1), no I/O: the metrics table, the configuration differences,
whether the runs are comparable, and the winner by quality per dollar with its rule stated.

Inputs are what the owning services answer (GetJob, GetMetrics, GetJobCost, GetValidation),
as plain builtins; `JobInputs.validation` and `.cost` are None where that service has nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from proto.api import ServiceError
from proto.comparisons import (
    MAX_JOBS,
    MIN_JOBS,
    Comparison,
    Difference,
    MetricsRow,
    QualitySource,
    Series,
    Winner,
)

MAX_POINTS = 300  # per curve: enough for the chart's width, small enough for a quick page
MIN_COST_CENTS = 1  # a free (local) run counts as one cent, so quality per dollar stays finite
QUALITY_LABELS: dict[QualitySource, str] = {
    "validation_perplexity": "perplexity improvement on held-out data, base → trained "
                             "(validation)",
    "validation_loss": "validation-loss improvement from the first to the last evaluation",
    "training_loss": "training-loss improvement from the first to the last step",
}


@dataclass(frozen=True)
class JobInputs:
    job: dict[str, Any]
    metrics: dict[str, Any]  # {"train": [{step, loss, ...}], "eval": [{step, val_loss, ...}]}
    cost: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None


def check_selection(job_ids: list[Any]) -> None:
    """UJ6.4.1: 2 to 4 distinct jobs."""
    if len(set(job_ids)) != len(job_ids):
        raise ServiceError("duplicate_jobs", "The same job is selected more than once.",
                           "Select each job once.", {"job_ids": [str(j) for j in job_ids]}, 422)
    if not MIN_JOBS <= len(job_ids) <= MAX_JOBS:
        raise ServiceError(
            "comparison_size", f"A comparison takes {MIN_JOBS} to {MAX_JOBS} jobs; "
            f"{len(job_ids)} {'was' if len(job_ids) == 1 else 'were'} selected.",
            f"Select between {MIN_JOBS} and {MAX_JOBS} jobs.", {"selected": len(job_ids)}, 422)


def check_metrics(inputs: JobInputs) -> None:
    if not [p for p in inputs.metrics.get("train", []) if p.get("loss") is not None]:
        job = inputs.job
        raise ServiceError(
            "job_has_no_metrics", f"Job {job['name']!r} ({job['status']}) has no training "
            "metrics to compare.", "Select jobs that have trained at least one step; "
            "completed jobs always have.", {"job_id": str(job["id"])}, 422)


def compare(inputs: list[JobInputs]) -> Comparison:
    check_selection([i.job["id"] for i in inputs])
    for item in inputs:
        check_metrics(item)
    source = quality_source(inputs)
    rows = [metrics_row(i, source) for i in inputs]
    winner, rows = choose_winner(rows, source)
    warnings = comparability_warnings([i.job for i in inputs])
    return Comparison(
        job_ids=[i.job["id"] for i in inputs], series=[series(i) for i in inputs], table=rows,
        differences=differences([i.job for i in inputs]), quality_source=source,
        quality_label=QUALITY_LABELS[source], rule=rule(source), winner=winner,
        comparable=not any(w.startswith("Not comparable") for w in warnings),
        warnings=warnings, notes=notes(inputs, rows, source),
    )


# --- quality and the winner ----------------------------------------------------------------------


def quality_source(inputs: list[JobInputs]) -> QualitySource:
    """The best measure every job has: one measure for all, or the ranking compares unlike
    things. Validation's perplexity first; without it, validation loss; else training loss."""
    if all(validation_figures(i.validation)["perplexity"] is not None for i in inputs):
        return "validation_perplexity"
    if all(len(_evals(i)) >= 2 for i in inputs):
        return "validation_loss"
    return "training_loss"


def quality(item: JobInputs, source: QualitySource) -> float | None:
    if source == "validation_perplexity":
        return validation_figures(item.validation)["perplexity"]
    points = _evals(item) if source == "validation_loss" else _trains(item)
    return improvement_pct(points[0][1], points[-1][1]) if len(points) >= 2 else None


def improvement_pct(before: float, after: float) -> float | None:
    """How much lower `after` is than `before`, in percent (negative: it got worse)."""
    if not before or not math.isfinite(before) or not math.isfinite(after):
        return None
    return round(100.0 * (before - after) / before, 2)


def rule(source: QualitySource) -> str:
    return (f"Winner: the highest quality per dollar, where quality is the "
            f"{QUALITY_LABELS[source]} in percent and the cost is the job's final cost (its "
            f"spend so far while it is not settled); a cost under $0.01, as for a free local "
            f"run, counts as $0.01. Only a job whose quality improved and whose cost is known "
            f"can win; a tie goes to the higher quality, then to the lower cost.")


def choose_winner(rows: list[MetricsRow], source: QualitySource
                  ) -> tuple[Winner | None, list[MetricsRow]]:
    scored = [_with_ratio(r) for r in rows]
    eligible = [r for r in scored if r.quality_per_dollar is not None and r.quality_pct > 0]
    if not eligible:
        return None, scored
    best = max(eligible, key=lambda r: (r.quality_per_dollar, r.quality_pct, -r.cost_cents))
    cost = "free" if best.cost_cents == 0 else f"${best.cost_cents / 100:,.2f}"
    headline = (f"{best.name}: best quality/cost ratio ({best.quality_pct:.1f}% "
                f"{_short(source)} for {cost})")
    marked = [_replace(r, is_winner=r.job_id == best.job_id) for r in scored]
    return Winner(job_id=best.job_id, name=best.name, headline=headline), marked


def _with_ratio(row: MetricsRow) -> MetricsRow:
    if row.quality_pct is None or row.cost_cents is None:
        return row
    dollars = max(row.cost_cents, MIN_COST_CENTS) / 100
    return _replace(row, quality_per_dollar=round(row.quality_pct / dollars, 4))


def _short(source: QualitySource) -> str:
    return {"validation_perplexity": "lower perplexity", "validation_loss": "lower validation "
            "loss", "training_loss": "lower training loss"}[source]


def _replace(row: MetricsRow, **changes: Any) -> MetricsRow:
    return msgspec.structs.replace(row, **changes)


# --- the table, the curves and the differences ---------------------------------------------------


def metrics_row(item: JobInputs, source: QualitySource) -> MetricsRow:
    job, figures = item.job, validation_figures(item.validation)
    trains, evals = _trains(item), _evals(item)
    cents, final = cost_cents(item.cost)
    return MetricsRow(
        job_id=job["id"], name=job["name"], status=job["status"],
        final_train_loss=trains[-1][1] if trains else None,
        final_val_loss=evals[-1][1] if evals else None,
        perplexity_improvement_pct=figures["perplexity"], perplexity_badge=figures["badge"],
        ei_improvement_pct=figures["ei"], retention_pct=figures["retention"],
        cost_cents=cents, cost_final=final, duration_s=duration_s(job),
        quality_pct=quality(item, source),
    )


def cost_cents(cost: dict[str, Any] | None) -> tuple[int | None, bool]:
    """The settled total where the cost service has one, else the spend so far."""
    if not cost:
        return None, False
    final = cost.get("final") or {}
    if final.get("total_cents") is not None and not final.get("pending"):
        return int(final["total_cents"]), True
    spend = cost.get("spend_cents")
    return (int(spend) if spend is not None else None), False


def duration_s(job: dict[str, Any]) -> float | None:
    start, end = job.get("started_at"), job.get("finished_at")
    if not start or not end:
        return None
    parse = datetime.fromisoformat
    start, end = (parse(v) if isinstance(v, str) else v for v in (start, end))
    return round((end - start).total_seconds(), 1)


def series(item: JobInputs) -> Series:
    return Series(job_id=item.job["id"], name=item.job["name"], train=_thin(_trains(item)),
                  eval=_thin(_evals(item)))


def _trains(item: JobInputs) -> list[tuple[int, float]]:
    return _points(item.metrics.get("train", []), "loss")


def _evals(item: JobInputs) -> list[tuple[int, float]]:
    return _points(item.metrics.get("eval", []), "val_loss")


def _points(rows: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """[step, value] by step; a step recorded twice (a resumed attempt) keeps its last value."""
    by_step = {int(r["step"]): float(r[key]) for r in rows if r.get(key) is not None}
    return sorted(by_step.items())


def _thin(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = math.ceil(len(points) / MAX_POINTS)
    kept = points[::stride]
    return kept if kept[-1] == points[-1] else [*kept, points[-1]]


def settings_of(job: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """field → (label, value as shown) for every setting a comparison looks at."""
    out = {"training_file": ("Training file", job.get("training_file_name", "")),
           "model": ("Base model", job["model"]["name"]), "preset": ("Preset", job["preset"]),
           "gpu_type": ("GPU type", job["gpu_type"]), "pricing": ("Pricing", job["pricing"]),
           "gpu_count": ("GPUs", str(job.get("gpu_count", 1)))}
    for section, prefix in (("lora", "LoRA "), ("hyperparameters", "")):
        for key, value in job[section].items():
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            out[f"{section}.{key}"] = (prefix + key.replace("_", " "), shown)
    return out


def differences(jobs: list[dict[str, Any]]) -> list[Difference]:
    each = [settings_of(j) for j in jobs]
    fields = list(dict.fromkeys(f for s in each for f in s))
    out = []
    for field in fields:
        values = [s.get(field, ("", "—"))[1] for s in each]
        if len(set(values)) > 1:
            label = next(s[field][0] for s in each if field in s)
            out.append(Difference(field=field, label=label, values=values))
    return out


def comparability_warnings(jobs: list[dict[str, Any]]) -> list[str]:
    """UJ6.4.1 "Jobs not comparable": losses on different data or from different base models
    do not measure the same thing; unfinished jobs' figures are not final."""
    warnings = []
    files = {j["training_file_id"] for j in jobs}
    if len(files) > 1:
        names = ", ".join(f"{j['name']}: {j.get('training_file_name', j['training_file_id'])}"
                          for j in jobs)
        warnings.append(f"Not comparable: the jobs trained on different training files "
                        f"({names}). Their losses are measured on different data, so the "
                        f"winner is only indicative.")
    models = {j["model"]["name"] for j in jobs}
    if len(models) > 1:
        names = ", ".join(f"{j['name']}: {j['model']['name']}" for j in jobs)
        warnings.append(f"Not comparable: the jobs fine-tuned different base models ({names}); "
                        f"losses and perplexities of different models are not on one scale.")
    for j in jobs:
        if j["status"] != "completed":
            warnings.append(f"{j['name']} is {j['status']}: its figures are not final.")
    return warnings


def notes(inputs: list[JobInputs], rows: list[MetricsRow], source: QualitySource) -> list[str]:
    out = []
    if source != "validation_perplexity":
        missing = [i.job["name"] for i in inputs
                   if validation_figures(i.validation)["perplexity"] is None]
        out.append(f"Quality is the {QUALITY_LABELS[source]}: no validation perplexity for "
                   f"{', '.join(missing)}.")
    for row in rows:
        if row.cost_cents is None:
            out.append(f"{row.name}: no cost recorded, so it cannot be ranked by cost.")
        elif not row.cost_final:
            out.append(f"{row.name}: cost is the spend so far; the final cost is not settled.")
    return out


# --- validation's answer (the validation service's GetValidation view) ---------------------------


def validation_figures(view: dict[str, Any] | None) -> dict[str, Any]:
    """The headline figures of a validation view: perplexity improvement % and its badge, EI
    improvement %, retention %. A suite not completed (or no view at all) gives None."""
    found: dict[str, Any] = {"perplexity": None, "badge": None, "ei": None, "retention": None}
    for name, suite in _suites(view).items():
        if suite.get("status") not in ("completed", "partial"):
            continue
        figures = suite.get("figures") or {}
        if name == "perplexity":
            found["perplexity"] = figures.get("improvement_pct")
            found["badge"] = figures.get("badge") or suite.get("badge")
        elif name == "emotional_intelligence":
            found["ei"] = (figures.get("overall") or {}).get("improvement_pct")
        elif name == "knowledge_retention":
            found["retention"] = figures.get("retention_pct")
    return found


def _suites(view: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    suites = (view or {}).get("suites") or {}
    if isinstance(suites, list):  # a list of {"suite": name, ...}
        return {s.get("suite"): s for s in suites if isinstance(s, dict)}
    return {k: v for k, v in suites.items() if isinstance(v, dict)}
