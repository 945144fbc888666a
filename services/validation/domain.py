"""The spec's validation rules (UJ5.2.1–UJ5.2.4): figures, badges and the words around them.

No I/O. Inputs are the trainer's suite details (proto.validation) and the per-scenario scores
a judge or reviewers gave; outputs are typed figures the service stores and shows.
"""

from __future__ import annotations

import statistics

import msgspec
from sacrebleu.metrics import CHRF

from proto.validation import (
    EI_DIMENSIONS,
    AnswersDetail,
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


# --- Emotional intelligence (UJ5.2.2) ------------------------------------------------------------


class EIScore(msgspec.Struct, frozen=True, kw_only=True):
    """One scenario's scores, each model's mean over both answer orders (or one review)."""

    scenario_id: str
    base: dict[str, float]
    trained: dict[str, float]
    rationale: str = ""


class DimensionFigures(msgspec.Struct, frozen=True, kw_only=True):
    dimension: str  # a dimension, or "overall"
    base: float
    trained: float
    improvement_pct: float


class JudgeFreeSignals(msgspec.Struct, frozen=True, kw_only=True):
    """Measured without any judge, shown beside the EI score and never as it."""

    label: str = "Judge-free signals (not the EI score)"
    base_reference_nll: float | None
    trained_reference_nll: float | None
    base_chrf: float | None  # sacrebleu chrF of the answers against the expert replies
    trained_chrf: float | None
    base_answer_tokens: float
    trained_answer_tokens: float


class Example(msgspec.Struct, frozen=True, kw_only=True):
    scenario_id: str
    user_input: str
    reference: str
    base_answer: str | None
    trained_answer: str
    base_overall: float | None = None
    trained_overall: float | None = None
    characteristic: str | None = None  # brand voice: the characteristic it exemplifies
    score: float | None = None


class EIFigures(msgspec.Struct, frozen=True, kw_only=True):
    overall: DimensionFigures
    dimensions: list[DimensionFigures]
    badge: str
    scored: int
    failed: int
    total: int
    partial: str | None
    signals: JudgeFreeSignals
    examples: list[Example]


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 2) if values else 0.0


def ei_figures(scores: list[EIScore], failed: int, detail: AnswersDetail) -> EIFigures:
    dims = [DimensionFigures(dimension=d, base=_mean([s.base[d] for s in scores]),
                             trained=_mean([s.trained[d] for s in scores]), improvement_pct=0.0)
            for d in EI_DIMENSIONS]
    dims = [msgspec.structs.replace(d, improvement_pct=improvement(d.base, d.trained)) for d in dims]
    base = _mean([_overall(s.base) for s in scores])
    trained = _mean([_overall(s.trained) for s in scores])
    overall = DimensionFigures(dimension="overall", base=base, trained=trained,
                               improvement_pct=improvement(base, trained))
    total = len(detail.scenarios)
    return EIFigures(
        overall=overall, dimensions=dims, badge=ei_badge(overall.improvement_pct),
        scored=len(scores), failed=failed, total=total,
        partial=partial_note(len(scores), total) if failed else None,
        signals=judge_free_signals(detail), examples=ei_examples(scores, detail))


def _overall(by_dimension: dict[str, float]) -> float:
    return statistics.fmean(by_dimension[d] for d in EI_DIMENSIONS)


def ei_examples(scores: list[EIScore], detail: AnswersDetail, n: int = 10) -> list[Example]:
    """The n scenarios the trained model gained most on, side by side with the base answer: ten,
    the report's before/after section (UJ5.3.1); the console shows the first three."""
    by_id = {s.scenario_id: s for s in detail.scenarios}
    ranked = sorted(scores, key=lambda s: _overall(s.trained) - _overall(s.base), reverse=True)
    return [Example(scenario_id=s.scenario_id, user_input=by_id[s.scenario_id].user_input,
                    reference=by_id[s.scenario_id].reference,
                    base_answer=by_id[s.scenario_id].base_answer,
                    trained_answer=by_id[s.scenario_id].trained_answer,
                    base_overall=round(_overall(s.base), 2),
                    trained_overall=round(_overall(s.trained), 2))
            for s in ranked[:n] if s.scenario_id in by_id]


def judge_free_signals(detail: AnswersDetail) -> JudgeFreeSignals:
    scenarios = detail.scenarios
    refs = [s.reference for s in scenarios]

    def nll(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return round(statistics.fmean(known), 4) if known else None

    def chrf(answers: list[str | None]) -> float | None:
        if not scenarios or any(a is None for a in answers):
            return None
        return round(CHRF().corpus_score(answers, [refs]).score, 2)

    return JudgeFreeSignals(
        base_reference_nll=nll([s.base_reference_nll for s in scenarios]),
        trained_reference_nll=nll([s.trained_reference_nll for s in scenarios]),
        base_chrf=chrf([s.base_answer for s in scenarios]),
        trained_chrf=chrf([s.trained_answer for s in scenarios]),
        base_answer_tokens=_mean([float(s.base_answer_tokens) for s in scenarios]),
        trained_answer_tokens=_mean([float(s.trained_answer_tokens) for s in scenarios]))


# --- Brand voice (UJ5.2.4) -----------------------------------------------------------------------


class BrandScore(msgspec.Struct, frozen=True, kw_only=True):
    scenario_id: str
    scores: dict[str, float]  # characteristic name → 1–5
    violations: list[str] = msgspec.field(default_factory=list)


class CharacteristicFigures(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    score: float
    flagged: bool  # under 3/5
    example: Example | None


class BrandFigures(msgspec.Struct, frozen=True, kw_only=True):
    overall: float  # out of 5
    alignment_pct: float
    badge: str
    characteristics: list[CharacteristicFigures]
    flagged: list[str]
    violations: dict[str, int]  # avoid item → answers that did it
    scored: int
    failed: int
    total: int
    partial: str | None


def brand_figures(scores: list[BrandScore], failed: int, names: list[str], avoid: list[str],
                  detail: AnswersDetail) -> BrandFigures:
    by_id = {s.scenario_id: s for s in detail.scenarios}
    chars = []
    for name in names:
        mean = _mean([s.scores[name] for s in scores if name in s.scores])
        best = max(scores, key=lambda s: s.scores.get(name, 0), default=None)
        chars.append(CharacteristicFigures(
            name=name, score=mean, flagged=mean < 3,
            example=_brand_example(best, name, by_id) if best else None))
    overall = _mean([c.score for c in chars])
    pct = round(100 * overall / 5, 1)
    total = len(detail.scenarios)
    return BrandFigures(
        overall=overall, alignment_pct=pct, badge=brand_badge(pct), characteristics=chars,
        flagged=[c.name for c in chars if c.flagged],
        violations={a: sum(a in s.violations for s in scores) for a in avoid},
        scored=len(scores), failed=failed, total=total,
        partial=partial_note(len(scores), total) if failed else None)


def _brand_example(score: BrandScore, name: str, by_id: dict) -> Example | None:
    scenario = by_id.get(score.scenario_id)
    if scenario is None:
        return None
    return Example(scenario_id=score.scenario_id, user_input=scenario.user_input,
                   reference=scenario.reference, base_answer=None,
                   trained_answer=scenario.trained_answer, characteristic=name,
                   score=score.scores.get(name))


# --- Headlines (the summary card, events and notifications) --------------------------------------


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
