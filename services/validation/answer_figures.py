"""Figures from answers a judge or reviewers scored per scenario: emotional intelligence
(UJ5.2.2) and brand voice (UJ5.2.4), with before/after examples. No I/O."""

from __future__ import annotations

import statistics

import msgspec
from sacrebleu.metrics import CHRF

from proto.validation import EI_DIMENSIONS, AnswersDetail
from services.validation.domain import (
    brand_badge,
    ei_badge,
    improvement,
    partial_note,
    rounded_mean,
)

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


def ei_figures(scores: list[EIScore], failed: int, detail: AnswersDetail) -> EIFigures:
    dims = [DimensionFigures(dimension=d, base=rounded_mean([s.base[d] for s in scores]),
                             trained=rounded_mean([s.trained[d] for s in scores]),
                             improvement_pct=0.0)
            for d in EI_DIMENSIONS]
    dims = [msgspec.structs.replace(d, improvement_pct=improvement(d.base, d.trained)) for d in dims]
    base = rounded_mean([_overall(s.base) for s in scores])
    trained = rounded_mean([_overall(s.trained) for s in scores])
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
        base_answer_tokens=rounded_mean([float(s.base_answer_tokens) for s in scenarios]),
        trained_answer_tokens=rounded_mean([float(s.trained_answer_tokens) for s in scenarios]))


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
        mean = rounded_mean([s.scores[name] for s in scores if name in s.scores])
        best = max(scores, key=lambda s: s.scores.get(name, 0), default=None)
        chars.append(CharacteristicFigures(
            name=name, score=mean, flagged=mean < 3,
            example=_brand_example(best, name, by_id) if best else None))
    overall = rounded_mean([c.score for c in chars])
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
