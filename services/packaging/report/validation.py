"""The validation service's answer (GetValidation), read into what the report shows.

Every suite starts as "not run": a suite the answer does not have, or an answer that never came,
shows so in the report. The reading is deliberately forgiving of optional fields, because the
report must render whatever state validation is in (running, partial, failed, absent).
"""

from __future__ import annotations

from collections.abc import Callable
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
        """It has a result: figures, or a failure saying why."""
        return self.status in ("completed", "partial", "failed")

    @property
    def state(self) -> str:
        """What a suite without a result is doing, in words ("Not run", "Awaiting review")."""
        if self.status in (NOT_RUN, "pending"):
            return "Not run"
        return self.status.replace("_", " ").capitalize()


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
    """GetValidation's answer (services/validation/handlers.get_validation) as the report's."""
    if not answer:
        return ValidationFigures()
    suites = {s["suite"]: s for s in answer.get("suites") or []}
    ei = suites.get("emotional_intelligence") or {}
    status = answer.get("status") or NOT_RUN
    return ValidationFigures(
        run=answer.get("run") or None, status=NOT_RUN if status == "not_started" else status,
        perplexity=_suite("perplexity", suites, _perplexity),
        emotional_intelligence=_suite("emotional_intelligence", suites, _ei),
        knowledge_retention=_suite("knowledge_retention", suites, _retention),
        brand_voice=_suite("brand_voice", suites, _brand),
        examples=[_example(e) for e in (ei.get("figures") or {}).get("examples") or []],
        judge_model=(answer.get("judge") or {}).get("model"),
        prompt_version=ei.get("judge_prompt_id"), scorer=answer.get("scorer"))


def _suite(name: str, suites: dict[str, dict[str, Any]],
           figures_of: Callable[[dict[str, Any]], dict[str, Any]]) -> Suite:
    raw = suites.get(name)
    if not raw:
        return Suite(name=name)
    figures = raw.get("figures")
    return Suite(name=name, status=raw.get("status") or NOT_RUN, badge=raw.get("badge"),
                 headline=raw.get("headline") or "", message=raw.get("message") or "",
                 **(figures_of(figures) if figures else {}))


def _perplexity(f: dict[str, Any]) -> dict[str, Any]:
    return {"base": f["base_perplexity"], "trained": f["trained_perplexity"],
            "change_pct": f["improvement_pct"]}


def _ei(f: dict[str, Any]) -> dict[str, Any]:
    overall = f["overall"]
    return {"base": overall["base"], "trained": overall["trained"],
            "change_pct": overall["improvement_pct"],
            "sub_scores": [SubScore(dimension=d["dimension"], base=d["base"], trained=d["trained"])
                           for d in f.get("dimensions", [])]}


def _retention(f: dict[str, Any]) -> dict[str, Any]:
    return {"base": f["base_accuracy_pct"], "trained": f["trained_accuracy_pct"],
            "change_pct": f.get("retention_pct"),
            "regressed": [Regressed(id=q["id"], topic=q.get("topic", ""))
                          for q in f.get("regressed", [])]}


def _brand(f: dict[str, Any]) -> dict[str, Any]:
    return {"trained": f["overall"], "change_pct": f["alignment_pct"],
            "characteristics": [Characteristic(name=c["name"], score=c["score"],
                                               flagged=c.get("flagged", False))
                                for c in f.get("characteristics", [])]}


def _example(raw: dict[str, Any]) -> Example:
    return Example(
        scenario_id=str(raw["scenario_id"]), user_input=raw.get("user_input") or "",
        base_answer=raw.get("base_answer") or "", trained_answer=raw.get("trained_answer") or "",
        base_score=raw.get("base_overall"), trained_score=raw.get("trained_overall"))
