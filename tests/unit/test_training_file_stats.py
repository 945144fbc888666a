"""Training file stats, quality badge and eligibility (UJ1.1.1-UJ1.1.3)."""

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from libs.common.training_format import (
    Conversation,
    Scaffolding,
    TrainingFile,
    TrainingPair,
    Turn,
    parse_training_file,
)
from services.jobs.training_file_eligibility import check_eligibility
from services.jobs.training_file_stats import TrainingFileStats, compute_stats, quality_badge

SAMPLE = Path(__file__).parents[2] / "services/cli/samples/financial-advisory-sample.json"
FULL = Scaffolding("planner", "Marcus", "fear_to_confidence", "Fear", "retirement", "Retirement")


# --- builders -------------------------------------------------------------------------------------


def make_pair(
    target: str | None = "Let's look at it together.",
    user_input: str = "I'm worried.",
    quality: float | None = 4.5,
    reviewed: bool = True,
    **scores: float | None,
) -> TrainingPair:
    return TrainingPair(
        id="p", conversation_id="c", turn_number=1, system_prompt="You are calm.",
        history=[Turn("user", "Hi."), Turn("assistant", "Hello.")],
        current_user_input=user_input, target_response=target, quality_score=quality,
        human_reviewed=reviewed, **scores,
    )


def make_conversation(
    pairs: list[TrainingPair] | None = None, scaffolding: Scaffolding | None = FULL
) -> Conversation:
    return Conversation("c", {}, scaffolding, "production",
                        [make_pair()] if pairs is None else pairs)


def make_file(
    conversations: list[Conversation], fmt: str = "brightrun-aggregated", **metadata: Any
) -> TrainingFile:
    return TrainingFile(format=fmt, metadata=metadata, consultant_profile=None,
                        conversations=conversations)


def stats_of(conversations: list[Conversation], **metadata: Any) -> TrainingFileStats:
    return compute_stats(make_file(conversations, **metadata))


def good_file_stats(**changes: Any) -> TrainingFileStats:
    """A file that passes every check; tests change one thing at a time."""
    return msgspec.structs.replace(stats_of([make_conversation() for _ in range(60)]), **changes)


def codes(problems: list) -> list[str]:
    return [problem.code for problem in problems]


# --- stats ----------------------------------------------------------------------------------------


def test_counts_conversations_pairs_usable_pairs_and_null_targets() -> None:
    pairs = [make_pair(), make_pair(target=None), make_pair(target=None), make_pair(target=" ")]
    stats = stats_of([make_conversation(pairs), make_conversation()])
    assert (stats.conversation_count, stats.pair_count) == (2, 5)
    assert (stats.usable_pair_count, stats.null_target_count) == (2, 2)


def test_claims_matching_content_are_reported_as_matching() -> None:
    stats = stats_of([make_conversation()], total_conversations=1, total_training_pairs=1)
    assert (stats.claimed_conversation_count, stats.claimed_pair_count) == (1, 1)
    assert stats.counts_match_claims


def test_claimed_counts_that_differ_from_content_do_not_match() -> None:
    stats = stats_of([make_conversation()], total_conversations=242, total_training_pairs=1)
    assert stats.claimed_conversation_count == 242
    assert not stats.counts_match_claims


def test_file_without_claims_matches_its_claims() -> None:
    stats = stats_of([make_conversation()])
    assert (stats.claimed_conversation_count, stats.claimed_pair_count) == (None, None)
    assert stats.counts_match_claims


def test_claimed_counts_come_from_the_parsed_files_metadata() -> None:
    document = {"training_file_metadata": {"total_conversations": 3, "total_training_pairs": 9},
                "conversations": []}
    stats = compute_stats(parse_training_file(json.dumps(document).encode(), "seed.json"))
    assert (stats.claimed_conversation_count, stats.claimed_pair_count) == (3, 9)


def test_scaffolding_distribution_counts_conversations_per_key() -> None:
    other = Scaffolding("saver", None, "fear_to_confidence", None, "debt", None)
    stats = stats_of([make_conversation(), make_conversation(), make_conversation(scaffolding=other),
                      make_conversation(scaffolding=None)])
    distribution = stats.scaffolding_distribution
    assert distribution.personas == {"planner": 2, "saver": 1}
    assert distribution.emotional_arcs == {"fear_to_confidence": 3}
    assert distribution.training_topics == {"retirement": 2, "debt": 1}


def test_review_share_is_reviewed_pairs_over_all_pairs() -> None:
    pairs = [make_pair(reviewed=True), make_pair(reviewed=False, target=None),
             make_pair(reviewed=False), make_pair(reviewed=False)]
    stats = stats_of([make_conversation(pairs)])
    assert (stats.human_reviewed_count, stats.review_share) == (1, 0.25)


def test_mean_scores_skip_pairs_without_scores() -> None:
    pairs = [make_pair(quality=4.0, empathy_score=5.0, clarity_score=3.0),
             make_pair(quality=None, empathy_score=None, appropriateness_score=4.0),
             make_pair(quality=3.0, empathy_score=4.0, clarity_score=4.0)]
    stats = stats_of([make_conversation(pairs)])
    assert (stats.mean_quality, stats.mean_empathy, stats.mean_clarity) == (3.5, 4.5, 3.5)
    assert stats.mean_appropriateness == 4.0


def test_mean_scores_are_none_when_no_pair_has_scores() -> None:
    stats = stats_of([make_conversation([make_pair(quality=None)])])
    assert (stats.mean_quality, stats.mean_empathy) == (None, None)


def test_scaffolding_completeness_is_the_share_of_enriched_conversations() -> None:
    partial = Scaffolding("planner", None, None, None, "retirement", None)
    stats = stats_of([make_conversation(), make_conversation(scaffolding=partial),
                      make_conversation(scaffolding=None), make_conversation()])
    assert (stats.enriched_conversation_count, stats.scaffolding_completeness) == (2, 0.5)


def test_estimated_tokens_are_characters_of_usable_pairs_over_four() -> None:
    usable = TrainingPair("p", "c", 1, "s" * 10, [Turn("user", "h" * 20)], "u" * 30, "t" * 43)
    context_only = TrainingPair("q", "c", 2, "s" * 400, [], "u" * 400, None)
    stats = stats_of([make_conversation([usable, context_only])])
    assert stats.estimated_tokens == (10 + 20 + 30 + 43) // 4


def test_empty_file_has_zero_shares_and_no_means() -> None:
    stats = stats_of([])
    assert (stats.review_share, stats.scaffolding_completeness, stats.mean_quality) == (
        0.0, 0.0, None)


# --- quality badge --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean_quality", "completeness", "review_share", "badge"),
    [
        (4.0, 0.95, 0.2, "High"),
        (4.8, 1.0, 0.19, "Medium"),  # too little human review for High
        (4.8, 0.94, 1.0, "Medium"),  # incomplete scaffolding for High
        (3.99, 1.0, 1.0, "Medium"),
        (3.0, 0.8, 0.0, "Medium"),
        (2.99, 1.0, 1.0, "Low"),
        (4.5, 0.79, 1.0, "Low"),
        (None, 1.0, 1.0, "Low"),  # no quality scores at all
    ],
)
def test_quality_badge_rule(
    mean_quality: float | None, completeness: float, review_share: float, badge: str
) -> None:
    assert quality_badge(mean_quality, completeness, review_share) == badge


def test_stats_carry_the_badge_of_their_figures() -> None:
    assert good_file_stats().quality_badge == "High"
    assert stats_of([make_conversation([make_pair(quality=None)])]).quality_badge == "Low"


# --- eligibility (UJ1.1.3) -----------------------------------------------------------------------


def test_file_meeting_every_requirement_is_eligible_without_warnings() -> None:
    eligibility = check_eligibility(good_file_stats())
    assert eligibility.eligible
    assert (eligibility.problems, eligibility.warnings) == ([], [])


def test_fewer_than_50_conversations_is_a_problem_saying_how_many_more() -> None:
    eligibility = check_eligibility(good_file_stats(conversation_count=12,
                                                    enriched_conversation_count=12))
    assert not eligibility.eligible
    [problem] = eligibility.problems
    assert problem.code == "too_few_conversations"
    assert "12 conversations" in problem.message and "at least 50" in problem.message
    assert "38 more" in problem.how_to_fix


def test_minimum_conversation_count_can_be_configured() -> None:
    stats = good_file_stats(conversation_count=12, enriched_conversation_count=12)
    assert check_eligibility(stats, min_conversations=10).eligible


def test_unenriched_conversations_are_a_problem_naming_how_many() -> None:
    eligibility = check_eligibility(good_file_stats(enriched_conversation_count=53))
    assert codes(eligibility.problems) == ["not_enriched"]
    assert eligibility.problems[0].message.startswith("7 of 60 conversations are not enriched")


def test_unenriched_openai_chat_file_gets_a_warning_not_a_problem() -> None:
    eligibility = check_eligibility(good_file_stats(format="openai-chat",
                                                    enriched_conversation_count=0))
    assert eligibility.eligible
    assert codes(eligibility.warnings) == ["not_enriched"]


def test_zero_usable_pairs_is_a_problem_with_guidance() -> None:
    eligibility = check_eligibility(good_file_stats(usable_pair_count=0))
    [problem] = eligibility.problems
    assert problem.code == "no_usable_pairs"
    assert "None of the 60 training pairs" in problem.message
    assert "target_response" in problem.how_to_fix


def test_file_without_pairs_is_a_problem() -> None:
    stats = good_file_stats(pair_count=0, usable_pair_count=0, human_reviewed_count=0,
                            review_share=0.0)
    assert codes(check_eligibility(stats).problems) == ["no_training_pairs"]


def test_claimed_counts_that_differ_are_a_warning_stating_both() -> None:
    stats = good_file_stats(claimed_conversation_count=242, counts_match_claims=False)
    eligibility = check_eligibility(stats)
    assert eligibility.eligible
    [warning] = eligibility.warnings
    assert warning.code == "claimed_counts_differ"
    assert "says it has 242 conversations" in warning.message
    assert "contains 60 conversations" in warning.message


def test_more_than_half_null_targets_is_a_warning_reporting_the_share() -> None:
    eligibility = check_eligibility(good_file_stats(null_target_count=36, usable_pair_count=24))
    assert codes(eligibility.warnings) == ["many_null_targets"]
    assert eligibility.warnings[0].message.startswith("60% of the training pairs (36 of 60)")


def test_half_null_targets_as_in_real_files_is_not_warned_about() -> None:
    assert check_eligibility(good_file_stats(null_target_count=30)).warnings == []


def test_low_review_share_is_a_warning() -> None:
    eligibility = check_eligibility(good_file_stats(human_reviewed_count=3, review_share=0.05))
    assert codes(eligibility.warnings) == ["low_review_share"]
    assert "Only 5% of the training pairs (3 of 60)" in eligibility.warnings[0].message


def test_every_problem_and_warning_says_how_to_fix_it() -> None:
    stats = stats_of([make_conversation([make_pair(target=None, reviewed=False)], scaffolding=None)],
                     total_conversations=9)
    eligibility = check_eligibility(stats)
    found = eligibility.problems + eligibility.warnings
    assert codes(found) == ["too_few_conversations", "no_usable_pairs", "not_enriched",
                            "claimed_counts_differ", "many_null_targets", "low_review_share"]
    assert all(item.how_to_fix for item in found)


def test_turns_repeated_by_a_later_turn_of_their_conversation_count_as_one_sequence():
    def turn(n: int, history: list[Turn], conversation: str = "c") -> TrainingPair:
        return msgspec.structs.replace(make_pair(target=f"Answer {n}.", user_input=f"Ask {n}."),
                                       id=f"{conversation}-{n}", conversation_id=conversation,
                                       turn_number=n, history=history)

    first = turn(1, [])
    second = turn(2, [Turn("user", "Ask 1."), Turn("assistant", "Answer 1.")])
    paraphrased = turn(3, [Turn("user", "Ask 1."), Turn("assistant", "Answer one.")])
    elsewhere = turn(2, second.history, conversation="d")  # same words, other conversation
    stats = stats_of([make_conversation([first, second, paraphrased]),
                      make_conversation([elsewhere])])
    assert (stats.usable_pair_count, stats.sequence_count) == (4, 3)
    # `first` folds into `second`, whose exchange is four messages long.
    assert stats.packed_host_tokens == [
        (len(second.system_prompt) + len("Ask 1.Answer 1.Ask 2.Answer 2.")) // 4]
    assert stats_of([make_conversation([first, first])]).sequence_count == 1


def test_the_sample_file_packs_into_one_sequence_per_conversation():
    stats = compute_stats(parse_training_file(SAMPLE.read_bytes(), SAMPLE.name))
    assert (stats.conversation_count, stats.usable_pair_count, stats.sequence_count) == (62, 82, 62)
    assert len(stats.packed_host_tokens) == 82 - 62

