"""The validation service's answer (GetValidation), read into what the report shows.

Every suite starts as "not run": a suite the answer does not have, or an answer that never came,
shows so in the report. The reading is deliberately forgiving of optional fields, because the
report must render whatever state validation is in (running, partial, failed, absent).
"""

from __future__ import annotations

from typing import Any

import msgspec

NOT_RUN = "not_run"


class SubScore(msgspec.Struct, frozen=True, kw_only=True):
    dimension: str
    base: float | None = None
    trained: float | None = None


class Regressed(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    topic: str = ""
    question: str = ""


class Characteristic(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    score: float | None = None  # 1–5
    flagged: bool = False  # under 3/5 (UJ5.2.4)


class Example(msgspec.Struct, frozen=True, kw_only=True):
    scenario_id: str
    user_input: str
    base_answer: str
    trained_answer: str
    base_score: float | None = None
    trained_score: float | None = None

    @property
    def gain(self) -> float | None:
        if self.base_score is None or self.trained_score is None:
            return None
        return self.trained_score - self.base_score


class Suite(msgspec.Struct, frozen=True, kw_only=True):
    """One suite as the report shows it; figures are None where the suite has none yet."""

    name: str
    status: str = NOT_RUN
    badge: str | None = None
    headline: str = ""
    message: str = ""  # partial / failure explanation
    base: float | None = None  # perplexity, EI overall (1–5), accuracy (%)
    trained: float | None = None
    change_pct: float | None = None  # improvement %, retention %, brand alignment %
    sub_scores: list[SubScore] = []
    regressed: list[Regressed] = []
    characteristics: list[Characteristic] = []

    @property
    def ran(self) -> bool:
        return self.status not in (NOT_RUN, "pending")


class ValidationFigures(msgspec.Struct, frozen=True, kw_only=True):
    run: int | None = None
    status: str = NOT_RUN
    perplexity: Suite = Suite(name="perplexity")
    emotional_intelligence: Suite = Suite(name="emotional_intelligence")
    knowledge_retention: Suite = Suite(name="knowledge_retention")
    brand_voice: Suite = Suite(name="brand_voice")
    examples: list[Example] = []
    judge_model: str | None = None
    prompt_version: str | None = None
    scorer: str | None = None  # "judge" or "review"

    @property
    def suites(self) -> list[Suite]:
        return [self.perplexity, self.emotional_intelligence, self.knowledge_retention,
                self.brand_voice]

    @property
    def finished(self) -> bool:
        """Nothing is still being measured or scored."""
        return self.status in ("completed", "failed", NOT_RUN)


def from_answer(answer: dict[str, Any] | None) -> ValidationFigures:
    if not answer:
        return ValidationFigures()
    suites = _suites(answer)
    ei = suites.get("emotional_intelligence", {})
    return ValidationFigures(
        run=answer.get("run"), status=answer.get("status") or NOT_RUN,
        perplexity=_suite("perplexity", suites),
        emotional_intelligence=_suite("emotional_intelligence", suites),
        knowledge_retention=_suite("knowledge_retention", suites),
        brand_voice=_suite("brand_voice", suites),
        examples=[_example(e) for e in ei.get("examples") or answer.get("examples") or []],
        judge_model=_first(answer, ei, key="judge_model"),
        prompt_version=_first(answer, ei, key="prompt_version"),
        scorer=_first(answer, ei, key="scorer"))


def _suites(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = answer.get("suites") or {}
    if isinstance(raw, list):
        return {s.get("suite") or s.get("name"): s for s in raw}
    return dict(raw)


def _first(*sources: dict[str, Any], key: str) -> Any:
    return next((s[key] for s in sources if s.get(key) is not None), None)


def _figure(suite: dict[str, Any], *keys: str) -> float | None:
    figures = suite.get("figures") or {}
    for key in keys:
        for source in (suite, figures):
            if source.get(key) is not None:
                return float(source[key])
    return None


def _suite(name: str, suites: dict[str, dict[str, Any]]) -> Suite:
    raw = suites.get(name)
    if not raw:
        return Suite(name=name)
    base_keys, trained_keys, change_keys = FIGURE_KEYS[name]
    figures = raw.get("figures") or {}
    return Suite(
        name=name, status=raw.get("status") or NOT_RUN, badge=raw.get("badge"),
        headline=raw.get("headline") or "", message=raw.get("message") or "",
        base=_figure(raw, *base_keys), trained=_figure(raw, *trained_keys),
        change_pct=_figure(raw, *change_keys),
        sub_scores=[msgspec.convert(s, SubScore, strict=False)
                    for s in _list(raw, figures, "sub_scores", "dimension")],
        regressed=[msgspec.convert(q, Regressed, strict=False)
                   for q in _list(raw, figures, "regressed", "id")],
        characteristics=[msgspec.convert(c, Characteristic, strict=False)
                         for c in _list(raw, figures, "characteristics", "name")])


def _list(raw: dict[str, Any], figures: dict[str, Any], key: str, name: str) -> list[Any]:
    value = raw.get(key) or figures.get(key) or []
    if isinstance(value, dict):  # {"empathy": {"base": .., "trained": ..}} or {"warmth": 4.2}
        return [{name: k, **(v if isinstance(v, dict) else {"score": v})}
                for k, v in value.items()]
    return value


# Where each suite's base / trained / change figure is found in the answer.
FIGURE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "perplexity": (("base_perplexity",), ("trained_perplexity",), ("improvement_pct",)),
    "emotional_intelligence": (("base_score", "base_overall"), ("trained_score", "trained_overall"),
                               ("improvement_pct",)),
    "knowledge_retention": (("base_accuracy_pct", "base_accuracy"),
                            ("trained_accuracy_pct", "trained_accuracy"), ("retention_pct",)),
    "brand_voice": ((), ("overall_score",), ("overall_pct", "alignment_pct")),
}


def _example(raw: dict[str, Any]) -> Example:
    return Example(
        scenario_id=str(raw.get("scenario_id") or raw.get("id") or ""),
        user_input=raw.get("user_input") or "", base_answer=raw.get("base_answer") or "",
        trained_answer=raw.get("trained_answer") or "",
        base_score=raw.get("base_score"), trained_score=raw.get("trained_score"))
