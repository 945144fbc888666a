"""The spec's validation rules (UJ5.2.1–UJ5.2.4): badges, and the figures of the suites the
trainer measures alone, perplexity (UJ5.2.1) and knowledge retention (UJ5.2.3).

No I/O. Inputs are the trainer's suite details (proto.validation); outputs are typed figures the
service stores and shows. The suites a judge or reviewers score (EI, brand voice) are in
answer_figures.py; the one-line headlines in headlines.py.
"""

from __future__ import annotations

import statistics

import msgspec

from proto.validation import (
    KnowledgeDetail,
    PerplexityDetail,
    QuestionPick,
    StandardTaskResult,
    SuiteStatus,
)

UNABLE = "Unable to calculate"


# --- Badges (thresholds on the unrounded figure; the spec's "20–29%" means 20 ≤ x < 30) ------------


def perplexity_badge(improvement_pct: float) -> str:
    if improvement_pct >= 30:
        return "Production Ready"
    return "Acceptable" if improvement_pct >= 20 else "Needs Improvement"


def ei_badge(improvement_pct: float) -> str:
    # UJ5.2.2 names ≥40% and 30–39% and then says "etc."; the two lower bands are ours.
    if improvement_pct >= 40:
        return "Exceptional EI"
    if improvement_pct >= 30:
        return "Strong EI"
    return "Moderate EI" if improvement_pct >= 20 else "Limited EI"


def retention_verdict(retention_pct: float) -> str:
    if retention_pct >= 95:
        return "Passed"
    return "Warning" if retention_pct >= 90 else "Failed"


def brand_badge(alignment_pct: float) -> str:
    # UJ5.2.4 names ≥85%; the lower bands are ours, on the same 5-point scale (70% = 3.5/5).
    if alignment_pct >= 85:
        return "Strong Brand Alignment"
    return "Moderate Brand Alignment" if alignment_pct >= 70 else "Weak Brand Alignment"


def partial_note(scored: int, total: int) -> str:
    return f"partial: {scored} of {total} scored"


def scored_status(scored: int, failed: int) -> SuiteStatus:
    """A scored suite's result: failed scenarios make it partial, none scored makes it failed."""
    if scored == 0:
        return "failed"
    return "partial" if failed else "completed"


def improvement(base: float, trained: float, lower_is_better: bool = False) -> float:
    if base == 0:
        return 0.0
    change = (base - trained) if lower_is_better else (trained - base)
    return round(100.0 * change / base, 1)


def rounded_mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 2) if values else 0.0


# --- Perplexity (UJ5.2.1) ------------------------------------------------------------------------


class PerplexityFigures(msgspec.Struct, frozen=True, kw_only=True):
    base_perplexity: float
    trained_perplexity: float
    improvement_pct: float
    badge: str
    interpretation: str
    examples: int
    target_tokens: int


def interpret_perplexity(pct: float) -> str:
    if pct >= 30:
        return f"{pct:.0f}% lower perplexity = significantly better predictions"
    if pct >= 20:
        return f"{pct:.0f}% lower perplexity = clearly better predictions"
    if pct > 0:
        return f"{pct:.0f}% lower perplexity = somewhat better predictions; more or better data may help"
    if pct == 0:
        return "No change in perplexity: training did not change how well the model predicts replies"
    return (f"{-pct:.0f}% higher perplexity = worse predictions than the base model on held-out "
            "replies; check the data and the learning rate")


def perplexity_figures(detail: PerplexityDetail) -> PerplexityFigures:
    pct = improvement(detail.base_perplexity, detail.trained_perplexity, lower_is_better=True)
    return PerplexityFigures(
        base_perplexity=round(detail.base_perplexity, 2),
        trained_perplexity=round(detail.trained_perplexity, 2), improvement_pct=pct,
        badge=perplexity_badge(pct), interpretation=interpret_perplexity(pct),
        examples=detail.examples, target_tokens=detail.target_tokens)


# --- Knowledge retention (UJ5.2.3) ---------------------------------------------------------------


class RetentionFigures(msgspec.Struct, frozen=True, kw_only=True):
    questions_version: str
    questions: int
    base_accuracy_pct: float
    trained_accuracy_pct: float
    retention_pct: float | None  # None: the base answered none right, so no ratio exists
    verdict: str
    regressed: list[QuestionPick]  # right under the base, wrong after training
    # lm-evaluation-harness tasks the plan asked for (0–1 figures, or a plain error per task);
    # the verdict stays the 100 questions' alone
    standard: list[StandardTaskResult] = msgspec.field(default_factory=list)


def retention_figures(detail: KnowledgeDetail) -> RetentionFigures:
    regressed = [q for q in detail.questions
                 if q.base_choice == q.answer and q.trained_choice != q.answer]
    ratio = (100.0 * detail.trained_accuracy / detail.base_accuracy
             if detail.base_accuracy > 0 else None)
    return RetentionFigures(
        questions_version=detail.questions_version, questions=len(detail.questions),
        base_accuracy_pct=round(100 * detail.base_accuracy, 1),
        trained_accuracy_pct=round(100 * detail.trained_accuracy, 1),
        retention_pct=None if ratio is None else round(ratio, 1),
        verdict=UNABLE if ratio is None else retention_verdict(ratio), regressed=regressed,
        standard=detail.standard)
