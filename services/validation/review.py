"""Blind human review (UJ5.2.2, UJ5.2.4): the default where no judge is configured.

No I/O. Each EI scenario becomes an item showing the two answers as "A" and "B" in a random
order; which one the trained model wrote is stored with the item on the server and used only
here, when a submission is turned back into base/trained scores. Nothing this module returns to
a reviewer carries it. Brand voice items show the trained answer alone, as "A".
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from proto.api import ServiceError
from proto.validation import EI_DIMENSIONS, ReviewScores, Rubric, ScenarioAnswers, SubmitReview
from proto.validation_views import ReviewItem, ReviewProgress, ReviewScenario
from services.validation.answer_figures import BrandScore, EIScore

ITEM_NS = uuid.UUID("0b6f3c1e-7f55-4f0e-8d51-3c9a3b7e2f10")


def item_id(job_id: uuid.UUID, run: int, suite: str, scenario_id: str) -> uuid.UUID:
    """Deterministic, so setting a suite up again (a redelivered event) adds no second item."""
    return uuid.uuid5(ITEM_NS, f"{job_id}:{run}:{suite}:{scenario_id}")


def new_items(job_id: uuid.UUID, run: int, suite: str,
              scenarios: list[ScenarioAnswers]) -> list[dict[str, Any]]:
    # secrets, not random: the order must not be guessable from a seed or the item's position.
    return [{"item_id": item_id(job_id, run, suite, s.scenario_id), "job_id": job_id, "run": run,
             "suite": suite, "scenario_id": s.scenario_id, "position": i,
             "a_is_trained": suite == "brand_voice" or secrets.randbelow(2) == 1}
            for i, s in enumerate(scenarios)]


def criteria(suite: str, rubric: Rubric | None) -> tuple[list[str], list[str]]:
    """(what each answer is scored on, the avoid items it may be flagged for)."""
    if suite == "brand_voice":
        assert rubric is not None
        return [c.name for c in rubric.characteristics], list(rubric.avoid)
    return list(EI_DIMENSIONS), []


def item_view(item: dict[str, Any], scenario: ScenarioAnswers, rubric: Rubric | None,
              progress: ReviewProgress) -> ReviewItem:
    """What a reviewer sees: the conversation and the answers under their letters, no more."""
    scored_on, avoid = criteria(item["suite"], rubric)
    if item["suite"] == "brand_voice":
        answers = {"A": scenario.trained_answer}
    elif item["a_is_trained"]:
        answers = {"A": scenario.trained_answer, "B": scenario.base_answer}
    else:
        answers = {"A": scenario.base_answer, "B": scenario.trained_answer}
    return ReviewItem(
        item_id=item["item_id"], suite=item["suite"], lease_until=item["lease_until"],
        scenario=ReviewScenario(system_prompt=scenario.system_prompt,
                                history=list(scenario.history), user_input=scenario.user_input),
        answers=answers, score_on=scored_on, avoid=avoid, scale=(1, 5), progress=progress,
    )


def _invalid(message: str, how_to_fix: str, details: dict[str, Any]) -> ServiceError:
    return ServiceError("invalid_review", message, how_to_fix, details, 422)


def _checked(label: str, given: ReviewScores, scored_on: list[str], avoid: list[str]) -> None:
    missing = [n for n in scored_on if n not in given.scores]
    extra = [n for n in given.scores if n not in scored_on]
    if missing or extra:
        raise _invalid(f"Answer {label}: scores must name exactly the listed criteria.",
                       f"Score each of: {', '.join(scored_on)}.",
                       {"answer": label, "missing": missing, "unknown": extra})
    bad = {n: v for n, v in given.scores.items() if not 1 <= v <= 5}
    if bad:
        raise _invalid(f"Answer {label}: scores must be whole numbers from 1 to 5.",
                       "Give every criterion a score from 1 (poor) to 5 (excellent).",
                       {"answer": label, "out_of_range": bad})
    unknown = [v for v in given.violations if v not in avoid]
    if unknown:
        raise _invalid(f"Answer {label}: unknown violations.",
                       "Flag only items from the item's `avoid` list.",
                       {"answer": label, "unknown": unknown})


def to_score(item: dict[str, Any], submit: SubmitReview,
             rubric: Rubric | None) -> EIScore | BrandScore:
    """The submission checked and turned back into base/trained (or brand-voice) scores."""
    scored_on, avoid = criteria(item["suite"], rubric)
    labels = ["A"] if item["suite"] == "brand_voice" else ["A", "B"]
    if sorted(submit.answers) != labels:
        raise _invalid(f"Scores are needed for answer(s) {' and '.join(labels)}, no others.",
                       f"Send `answers` with the keys {', '.join(labels)}.",
                       {"expected": labels, "given": sorted(submit.answers)})
    for label in labels:
        _checked(label, submit.answers[label], scored_on, avoid)
    if item["suite"] == "brand_voice":
        a = submit.answers["A"]
        return BrandScore(scenario_id=item["scenario_id"],
                          scores={k: float(v) for k, v in a.scores.items()},
                          violations=list(a.violations))
    trained, base = (("A", "B") if item["a_is_trained"] else ("B", "A"))
    return EIScore(scenario_id=item["scenario_id"],
                   base={k: float(v) for k, v in submit.answers[base].scores.items()},
                   trained={k: float(v) for k, v in submit.answers[trained].scores.items()})
