"""One-line headlines of a suite's result, for the summary card, events and notifications."""

from __future__ import annotations

from proto.validation import SuiteStatus
from services.validation.answer_figures import BrandFigures, EIFigures
from services.validation.domain import UNABLE, PerplexityFigures, RetentionFigures


def headline(suite: str, status: SuiteStatus, figures: object | None, message: str = "") -> str:
    if status == "failed":
        return f"{UNABLE}: {message}" if message else UNABLE
    if figures is None:
        return status.replace("_", " ")
    note = f" ({figures.partial})" if getattr(figures, "partial", None) else ""
    match figures:
        case PerplexityFigures():
            return (f"{figures.improvement_pct:.1f}% lower perplexity "
                    f"({figures.base_perplexity} → {figures.trained_perplexity})")
        case EIFigures():
            return (f"EI {figures.overall.base}/5 → {figures.overall.trained}/5 = "
                    f"{figures.overall.improvement_pct:.0f}% improvement{note}")
        case RetentionFigures():
            if figures.retention_pct is None:
                return f"{UNABLE}: the base model answered no question right"
            return (f"{figures.retention_pct:.0f}% knowledge retained "
                    f"({figures.trained_accuracy_pct:.0f}% vs {figures.base_accuracy_pct:.0f}%)")
        case BrandFigures():
            return f"{figures.overall}/5 ({figures.alignment_pct:.0f}% brand alignment){note}"
    return status


def badge_of(figures: object | None) -> str | None:
    return getattr(figures, "badge", None) or getattr(figures, "verdict", None)
