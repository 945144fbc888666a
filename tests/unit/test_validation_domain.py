"""The validation service's rules (UJ5.2.1–UJ5.2.4): badges at their boundaries, retention,
partial results, the EI average, the brand-voice rubric and blind review's label mapping."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from proto.api import ServiceError
from proto.validation import (
    EI_DIMENSIONS,
    AnswersDetail,
    Decoding,
    KnowledgeDetail,
    PerplexityDetail,
    QuestionPick,
    ReviewScores,
    RubricCharacteristic,
    ScenarioAnswers,
    SubmitReview,
)
from services.validation import domain, review
from services.validation.answer_figures import (
    BrandScore,
    EIScore,
    brand_figures,
    ei_examples,
    ei_figures,
)
from services.validation.rubric import GENERIC, check_uploaded, default_rubric


@pytest.mark.parametrize(("pct", "badge"), [
    (30.0, "Production Ready"), (29.99, "Acceptable"), (20.0, "Acceptable"),
    (19.99, "Needs Improvement"), (-5.0, "Needs Improvement")])
def test_perplexity_badges_at_their_boundaries(pct, badge):
    assert domain.perplexity_badge(pct) == badge


@pytest.mark.parametrize(("pct", "badge"), [
    (40.0, "Exceptional EI"), (39.9, "Strong EI"), (30.0, "Strong EI"), (29.9, "Moderate EI"),
    (19.9, "Limited EI")])
def test_ei_badges_at_their_boundaries(pct, badge):
    assert domain.ei_badge(pct) == badge


@pytest.mark.parametrize(("pct", "verdict"), [
    (100.0, "Passed"), (95.0, "Passed"), (94.99, "Warning"), (90.0, "Warning"), (89.99, "Failed")])
def test_retention_gates_at_their_boundaries(pct, verdict):
    assert domain.retention_verdict(pct) == verdict


def test_brand_badge_strong_from_85_percent():
    assert domain.brand_badge(85.0) == "Strong Brand Alignment"
    assert domain.brand_badge(84.9) != "Strong Brand Alignment"


def test_perplexity_figures_match_the_spec_example():
    detail = PerplexityDetail(examples=10, target_tokens=500, base_loss=3.2, trained_loss=2.82,
                              base_perplexity=24.5, trained_perplexity=16.8)
    figures = domain.perplexity_figures(detail)
    assert figures.improvement_pct == 31.4
    assert figures.badge == "Production Ready"
    assert figures.interpretation.startswith("31% lower perplexity")


def test_perplexity_that_rose_says_so():
    detail = PerplexityDetail(examples=1, target_tokens=5, base_loss=1, trained_loss=1.1,
                              base_perplexity=10.0, trained_perplexity=11.0)
    figures = domain.perplexity_figures(detail)
    assert figures.improvement_pct == -10.0 and "higher perplexity" in figures.interpretation


def _pick(i: int, answer: int, base: int, trained: int) -> QuestionPick:
    return QuestionPick(id=f"q{i}", topic="t", answer=answer, base_choice=base,
                        trained_choice=trained)


def test_retention_is_trained_over_base_and_lists_regressed_questions():
    # 87 right before, 85 after: the spec's 97.7% → Passed.
    picks = ([_pick(i, 0, 0, 0) for i in range(85)] + [_pick(85, 1, 1, 2), _pick(86, 2, 2, 0)]
             + [_pick(87 + i, 3, 0, 0) for i in range(13)])
    detail = KnowledgeDetail(questions_version="v1", base_accuracy=0.87, trained_accuracy=0.85,
                             questions=picks)
    figures = domain.retention_figures(detail)
    assert figures.retention_pct == 97.7 and figures.verdict == "Passed"
    assert [q.id for q in figures.regressed] == ["q85", "q86"]


def test_retention_without_any_base_answer_right_is_unable_to_calculate():
    detail = KnowledgeDetail(questions_version="v1", base_accuracy=0.0, trained_accuracy=0.3,
                             questions=[])
    figures = domain.retention_figures(detail)
    assert figures.retention_pct is None and figures.verdict == domain.UNABLE


def _scenario(i: int, base: str = "Do this.", trained: str = "I understand. Do this.") -> ScenarioAnswers:
    return ScenarioAnswers(scenario_id=f"s{i}", conversation_id="c", system_prompt="Be kind.",
                           history=[], user_input=f"Help {i}", reference="I understand, do this.",
                           base_answer=base, trained_answer=trained, base_reference_nll=2.0,
                           trained_reference_nll=1.5, base_answer_tokens=3,
                           trained_answer_tokens=5)


def _answers(n: int, suite: str = "emotional_intelligence", profile=None) -> AnswersDetail:
    return AnswersDetail(suite=suite, decoding=Decoding(seed=1, max_new_tokens=32),
                         scenarios=[_scenario(i) for i in range(n)], consultant_profile=profile)


def test_ei_figures_average_dimensions_and_report_partial_with_judge_free_signals():
    base = {"empathy": 3.0, "clarity": 3.0, "appropriateness": 3.0}
    trained = {"empathy": 4.5, "clarity": 4.0, "appropriateness": 4.0}
    scores = [EIScore(scenario_id=f"s{i}", base=base, trained=trained) for i in range(47)]
    figures = ei_figures(scores, failed=3, detail=_answers(50))
    assert figures.overall.base == 3.0 and figures.overall.trained == 4.17
    assert figures.overall.improvement_pct == 39.0 and figures.badge == "Strong EI"
    assert figures.dimensions[0].improvement_pct == 50.0
    assert figures.partial == "partial: 47 of 50 scored"
    assert domain.scored_status(47, 3) == "partial"
    assert domain.scored_status(0, 50) == "failed" and domain.scored_status(50, 0) == "completed"
    signals = figures.signals
    assert signals.base_reference_nll == 2.0 and signals.trained_reference_nll == 1.5
    assert signals.trained_chrf > signals.base_chrf  # closer to "I understand, do this."
    assert len(figures.examples) == 10  # the report's ten before/after examples


def test_default_rubric_from_the_profile_principles_then_techniques_and_avoid_as_violations():
    profile = {"name": "Naomi", "core_philosophy": {"principle_1": "Feelings first: people.",
                                                    "principle_2": "Real numbers."},
               "communication_style": {"techniques": ["Validate the feeling"],
                                       "avoid": ["Jargon", "Guaranteed returns"]}}
    rubric = default_rubric(profile)
    names = [c.name for c in rubric.characteristics]
    assert names[:3] == ["Feelings first", "Real numbers.", "Validate the feeling"]
    assert names[3:] == [name for name, _ in GENERIC[:7]]  # topped up from the generic list
    assert rubric.avoid == ["Jargon", "Guaranteed returns"] and rubric.source == "consultant_profile"
    assert len(default_rubric(None).characteristics) == 10


def test_uploaded_rubric_needs_exactly_ten_distinct_characteristics():
    ten = [RubricCharacteristic(name=f"C{i}") for i in range(10)]
    check_uploaded(ten)
    for bad in (ten[:9], [*ten[:9], RubricCharacteristic(name="c0")]):
        with pytest.raises(ServiceError) as caught:
            check_uploaded(bad)
        assert caught.value.error.status == 422 and caught.value.error.how_to_fix


def test_brand_figures_flag_characteristics_under_three_and_count_violations():
    names = [f"C{i}" for i in range(10)]
    scores = [BrandScore(scenario_id=f"s{i}", scores={n: (2.0 if n == "C3" else 5.0)
                                                      for n in names},
                         violations=["Jargon"] if i == 0 else []) for i in range(4)]
    figures = brand_figures(scores, 0, names, ["Jargon", "Pitches"], _answers(4, "brand_voice"))
    assert figures.flagged == ["C3"] and figures.overall == 4.7 and figures.alignment_pct == 94.0
    assert figures.badge == "Strong Brand Alignment"
    assert figures.violations == {"Jargon": 1, "Pitches": 0}
    assert all(c.example is not None for c in figures.characteristics)


def test_review_maps_a_and_b_back_to_base_and_trained_and_rejects_bad_scores():
    job = uuid.uuid4()
    items = review.new_items(job, 1, "emotional_intelligence", [_scenario(i) for i in range(40)])
    assert {i["a_is_trained"] for i in items} == {True, False}  # random order, both seen
    item = {**items[0], "lease_until": None}
    view = review.item_view(item, _scenario(0), None, {"scored": 0, "total": 40})
    assert "base" not in str(view).lower() and "trained" not in str(view).lower()
    trained_label = "A" if item["a_is_trained"] else "B"
    other = "B" if trained_label == "A" else "A"
    high = ReviewScores(scores={"empathy": 5, "clarity": 5, "appropriateness": 5})
    low = ReviewScores(scores={"empathy": 1, "clarity": 2, "appropriateness": 1})
    submit = SubmitReview(job_id=job, item_id=item["item_id"], reviewer="r",
                          answers={trained_label: high, other: low})
    score = review.to_score(item, submit, None)
    assert score.trained["empathy"] == 5 and score.base["clarity"] == 2
    out_of_range = msgspec.structs.replace(
        submit, answers={trained_label: high, other: ReviewScores(
            scores={"empathy": 6, "clarity": 2, "appropriateness": 1})})
    with pytest.raises(ServiceError) as caught:
        review.to_score(item, out_of_range, None)
    assert caught.value.error.status == 422


def test_the_examples_are_the_scenarios_with_the_largest_gain_first():
    scores = [EIScore(scenario_id=f"s{i}", base={d: 3.0 for d in EI_DIMENSIONS},
                      trained={d: 3.0 + (i % 7) / 4 for d in EI_DIMENSIONS})
              for i in range(14)]
    examples = ei_examples(scores, _answers(14))
    gains = [e.trained_overall - e.base_overall for e in examples]
    assert len(examples) == 10 and gains == sorted(gains, reverse=True) and gains[0] == 1.5
