"""What a comparison reads from the owning services' answers (GetJob, GetMetrics, GetJobCost,
GetValidation), as plain builtins: loss curves by step, the cost, the duration and validation's
headline figures. No I/O; the rules that use them are in comparison.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class JobInputs:
    job: dict[str, Any]
    metrics: dict[str, Any]  # {"train": [{step, loss, ...}], "eval": [{step, val_loss, ...}]}
    cost: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None


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


def train_points(item: JobInputs) -> list[tuple[int, float]]:
    return _points(item.metrics.get("train", []), "loss")


def eval_points(item: JobInputs) -> list[tuple[int, float]]:
    return _points(item.metrics.get("eval", []), "val_loss")


def _points(rows: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """[step, value] by step; a step recorded twice (a resumed attempt) keeps its last value."""
    by_step = {int(r["step"]): float(r[key]) for r in rows if r.get(key) is not None}
    return sorted(by_step.items())


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
