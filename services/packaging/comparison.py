"""Run comparison rules (UJ6.4.1), no I/O: the metrics table, the configuration differences,
whether the runs are comparable, and the winner by quality per dollar with its rule stated.

Inputs are what the owning services answer (GetJob, GetMetrics, GetJobCost, GetValidation),
as plain builtins; `JobInputs.validation` and `.cost` are None where that service has nothing.
Reading them is comparison_inputs.py; the configuration differences and the comparability
warnings are comparison_settings.py.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from proto.api import ServiceError
from proto.comparisons import (
    MAX_JOBS,
    MIN_JOBS,
    Comparison,
    MetricsRow,
    QualitySource,
    Series,
    Winner,
)
from services.packaging.comparison_inputs import (
    JobInputs,
    cost_cents,
    duration_s,
    eval_points,
    train_points,
    validation_figures,
)
from services.packaging.comparison_settings import comparability_warnings, differences

MAX_POINTS = 300  # per curve: enough for the chart's width, small enough for a quick page
MIN_COST_CENTS = 1  # a free (local) run counts as one cent, so quality per dollar stays finite
QUALITY_LABELS: dict[QualitySource, str] = {
    "validation_perplexity": "perplexity improvement on held-out data, base → trained "
                             "(validation)",
    "validation_loss": "validation-loss improvement from the first to the last evaluation",
    "training_loss": "training-loss improvement from the first to the last step",
}


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
    if all(len(eval_points(i)) >= 2 for i in inputs):
        return "validation_loss"
    return "training_loss"


def quality(item: JobInputs, source: QualitySource) -> float | None:
    if source == "validation_perplexity":
        return validation_figures(item.validation)["perplexity"]
    points = eval_points(item) if source == "validation_loss" else train_points(item)
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


# --- the table and the curves --------------------------------------------------------------------


def metrics_row(item: JobInputs, source: QualitySource) -> MetricsRow:
    job, figures = item.job, validation_figures(item.validation)
    trains, evals = train_points(item), eval_points(item)
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


def series(item: JobInputs) -> Series:
    return Series(job_id=item.job["id"], name=item.job["name"], train=_thin(train_points(item)),
                  eval=_thin(eval_points(item)))


def _thin(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = math.ceil(len(points) / MAX_POINTS)
    kept = points[::stride]
    return kept if kept[-1] == points[-1] else [*kept, points[-1]]


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
