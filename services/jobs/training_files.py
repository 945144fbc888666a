"""What a training file holds and whether it can train a model (UJ1.1.1-UJ1.1.3). No I/O.

Stats are computed from the content, never trusted from the file's own metadata: real files
claim counts that disagree with what they contain.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Literal

import msgspec

from libs.common.training_format import Claim, Conversation, TrainingFile, TrainingPair

QualityBadge = Literal["High", "Medium", "Low"]

MIN_CONVERSATIONS = 50  # UJ1.1.3
LOW_REVIEW_SHARE = 0.2  # below this share of human-reviewed pairs, warn (and no High badge)
HIGH_NULL_TARGET_SHARE = 0.5  # above this share of context-only pairs, warn
CHARS_PER_TOKEN = 4  # a rough English average; the trainer counts real tokens
# Formats without the generator's enrichment: its absence is a warning there, not a problem.
UNENRICHED_FORMATS = ("openai-chat", "sharegpt", "alpaca", "brightrun-raw")
# Where the too-few-conversations guidance sends users (issue 17): combine files here.
COMBINE_FILES = ("combine it with your other uploaded files into a training set: "
                 "\"Combine with other files\" on the file's page, or POST /api/v1/training-sets "
                 "with their training_file_ids")


class ScaffoldingDistribution(msgspec.Struct, frozen=True):
    """Conversations per persona, emotional arc and training topic key."""

    personas: dict[str, int]
    emotional_arcs: dict[str, int]
    training_topics: dict[str, int]


class TrainingFileStats(msgspec.Struct, frozen=True):
    format: str
    conversation_count: int
    enriched_conversation_count: int
    pair_count: int
    usable_pair_count: int
    null_target_count: int
    claimed_conversation_count: int | None
    claimed_pair_count: int | None
    counts_match_claims: bool
    scaffolding_distribution: ScaffoldingDistribution
    human_reviewed_count: int
    review_share: float
    mean_empathy: float | None
    mean_clarity: float | None
    mean_appropriateness: float | None
    mean_quality: float | None
    scaffolding_completeness: float
    estimated_tokens: int
    quality_badge: QualityBadge
    # Sequences the trainer runs once it folds each turn into the later turn of its
    # conversation that repeats it (trainer/packing.py); 0 in stats stored before it was counted.
    sequence_count: int = 0
    # For each pair that folds into a later one, about how many tokens its shortest host holds
    # (sorted). Below that max length the host is truncated, no longer repeats the pair, and the
    # pair trains as a sequence of its own: one more than sequence_count.
    packed_host_tokens: list[int] = []
    # Every other count the file states about itself that its content contradicts (issue 17).
    claim_mismatches: list[Claim] = []


class Problem(msgspec.Struct, frozen=True):
    code: str
    message: str
    how_to_fix: str


class Eligibility(msgspec.Struct, frozen=True):
    eligible: bool
    problems: list[Problem]
    warnings: list[Problem]


def compute_stats(training_file: TrainingFile) -> TrainingFileStats:
    conversations = training_file.conversations
    pairs = [pair for conversation in conversations for pair in conversation.pairs]
    usable = [pair for pair in pairs if pair.usable]
    enriched = sum(conversation.enriched for conversation in conversations)
    reviewed = sum(pair.human_reviewed for pair in pairs)
    claimed_conversations = _claimed(training_file, "total_conversations")
    claimed_pairs = _claimed(training_file, "total_training_pairs")
    completeness = enriched / len(conversations) if conversations else 0.0
    review_share = reviewed / len(pairs) if pairs else 0.0
    mean_quality = _mean(pair.quality_score for pair in pairs)
    hosts = packing_hosts(usable)
    mismatches = [claim for claim in training_file.claims if claim.claimed != claim.actual]
    return TrainingFileStats(
        format=training_file.format,
        conversation_count=len(conversations),
        enriched_conversation_count=enriched,
        pair_count=len(pairs),
        usable_pair_count=len(usable),
        null_target_count=sum(pair.target_response is None for pair in pairs),
        claimed_conversation_count=claimed_conversations,
        claimed_pair_count=claimed_pairs,
        counts_match_claims=claimed_conversations in (None, len(conversations))
        and claimed_pairs in (None, len(pairs)) and not mismatches,
        scaffolding_distribution=_distribution(conversations),
        human_reviewed_count=reviewed,
        review_share=review_share,
        mean_empathy=_mean(pair.empathy_score for pair in pairs),
        mean_clarity=_mean(pair.clarity_score for pair in pairs),
        mean_appropriateness=_mean(pair.appropriateness_score for pair in pairs),
        mean_quality=mean_quality,
        scaffolding_completeness=completeness,
        estimated_tokens=sum(_characters(pair) for pair in usable) // CHARS_PER_TOKEN,
        quality_badge=quality_badge(mean_quality, completeness, review_share),
        sequence_count=sum(host is None for host in hosts),
        packed_host_tokens=sorted(host for host in hosts if host is not None),
        claim_mismatches=mismatches,
    )


def packing_hosts(usable: list[TrainingPair]) -> list[int | None]:
    """For each distinct exchange (system prompt, history, input, target) of the usable pairs,
    the estimated tokens of the shortest later exchange of its conversation that begins with it;
    None where there is none. The trainer folds a pair into such a host (trainer/packing.py, on
    tokens; here the same test on messages) and steps through what is left, so steps follow
    the hostless. A repeated exchange trains as one."""
    exchanges: dict[str, dict[tuple, int]] = {}
    for pair in usable:
        exchanges.setdefault(pair.conversation_id, {})[_exchange(pair)] = (
            _characters(pair) // CHARS_PER_TOKEN)
    return [min((tokens for b, tokens in mine.items() if len(b) > len(a) and b[:len(a)] == a),
                default=None)
            for mine in exchanges.values() for a in mine]


def _exchange(pair: TrainingPair) -> tuple:
    return (("system", pair.system_prompt), *((t.role, t.content) for t in pair.history),
            ("user", pair.current_user_input), ("assistant", pair.target_response))


def quality_badge(
    mean_quality: float | None, scaffolding_completeness: float, review_share: float
) -> QualityBadge:
    """The High/Medium/Low badge of UJ1.1.1.

    - High: mean quality score >= 4.0 (of 5), scaffolding completeness >= 95 % and at least
      20 % of pairs reviewed by a person.
    - Medium: mean quality score >= 3.0 and scaffolding completeness >= 80 %; review share
      does not matter.
    - Low: anything else, including a file without quality scores.
    """
    if mean_quality is None:
        return "Low"
    if mean_quality >= 4.0 and scaffolding_completeness >= 0.95 and (
        review_share >= LOW_REVIEW_SHARE
    ):
        return "High"
    if mean_quality >= 3.0 and scaffolding_completeness >= 0.8:
        return "Medium"
    return "Low"


def check_eligibility(
    stats: TrainingFileStats, min_conversations: int = MIN_CONVERSATIONS
) -> Eligibility:
    """UJ1.1.3: enough conversations, all enriched, training pairs to learn from.

    "Valid JSON format" is settled before this: a file that does not parse has no stats.
    """
    problems = [_too_few_conversations(stats, min_conversations), _no_pairs(stats)]
    warnings = [_claims_differ(stats), _many_null_targets(stats), _low_review(stats)]
    # OpenAI chat, ShareGPT and Alpaca files carry no scaffolding at all, and the generator's
    # raw conversations are not enriched yet: the absence lowers the badge and is reported,
    # but does not refuse the file.
    unenriched = stats.format in UNENRICHED_FORMATS
    (warnings if unenriched else problems).append(_not_enriched(stats))
    problems = [problem for problem in problems if problem]
    return Eligibility(
        eligible=not problems,
        problems=problems,
        warnings=[warning for warning in warnings if warning],
    )


def _too_few_conversations(stats: TrainingFileStats, minimum: int) -> Problem | None:
    count = stats.conversation_count
    if count >= minimum:
        return None
    return Problem(
        "too_few_conversations",
        f"This file has {_plural(count, 'conversation')}; training needs at least {minimum:,}.",
        f"Add at least {minimum - count:,} more conversations: {COMBINE_FILES}.",
    )


def _not_enriched(stats: TrainingFileStats) -> Problem | None:
    missing = stats.conversation_count - stats.enriched_conversation_count
    if stats.format == "brightrun-raw":
        return Problem(
            "not_enriched",
            "These are the conversation generator's conversations before enrichment: no quality "
            "scores or emotional context, so the quality badge is Low.",
            "You can train with them as they are. For a better badge and report, run enrichment "
            "in the conversation generator and upload the training file it builds.",
        )
    if missing == 0:
        return None
    if stats.format in UNENRICHED_FORMATS:
        name = {"openai-chat": "OpenAI chat", "sharegpt": "ShareGPT", "alpaca": "Alpaca"}[
            stats.format]
        return Problem(
            "not_enriched",
            "This file has no persona, emotional arc or training topic for its conversations "
            f"({name} files do not carry them), so its quality badge is Low.",
            "You can train with it as it is. For a better badge and report, build the training "
            "file with the Bright Run conversation generator.",
        )
    return Problem(
        "not_enriched",
        f"{missing:,} of {_plural(stats.conversation_count, 'conversation')} "
        f"{'is' if missing == 1 else 'are'} not enriched: a persona, an emotional arc or a "
        "training topic is missing.",
        "Run enrichment on those conversations in the conversation generator, rebuild the "
        "training file and upload it again.",
    )


def _no_pairs(stats: TrainingFileStats) -> Problem | None:
    if stats.pair_count == 0:
        return Problem(
            "no_training_pairs",
            "This file contains no training pairs, so there is nothing to train on.",
            "Generate training pairs for your conversations in the conversation generator, "
            "rebuild the training file and upload it again.",
        )
    if stats.usable_pair_count == 0:
        return Problem(
            "no_usable_pairs",
            f"None of the {_plural(stats.pair_count, 'training pair')} can be learned from: "
            "each one lacks the ideal advisor response or the client's message.",
            "Fill in the ideal advisor response (target_response) for the turns the model "
            "should learn from, then upload the file again.",
        )
    return None


def _claims_differ(stats: TrainingFileStats) -> Problem | None:
    if stats.counts_match_claims:
        return None
    claimed, actual = [], []
    for claim, count, noun in (
        (stats.claimed_conversation_count, stats.conversation_count, "conversation"),
        (stats.claimed_pair_count, stats.pair_count, "training pair"),
    ):
        if claim is not None and claim != count:
            claimed.append(_plural(claim, noun))
            actual.append(_plural(count, noun))
    said = ([f"The file's summary says it has {' and '.join(claimed)}, but it actually "
             f"contains {' and '.join(actual)}."] if claimed else [])
    said += [f"{m.field} says {m.claimed:,} but the file holds {m.actual:,} ({m.counts})."
             for m in stats.claim_mismatches[:5]]
    if len(stats.claim_mismatches) > 5:
        said.append(f"{len(stats.claim_mismatches) - 5:,} more counts differ (see the stats).")
    return Problem(
        "claimed_counts_differ",
        " ".join(said),
        "Nothing to do before training: the actual content is what gets used. To tidy up, "
        "regenerate the file so that its summary matches.",
    )


def _many_null_targets(stats: TrainingFileStats) -> Problem | None:
    if not stats.pair_count or stats.null_target_count / stats.pair_count <= HIGH_NULL_TARGET_SHARE:
        return None
    share = stats.null_target_count / stats.pair_count
    return Problem(
        "many_null_targets",
        f"{share:.0%} of the training pairs ({stats.null_target_count:,} of "
        f"{stats.pair_count:,}) have no ideal response; they are used as context only, not "
        "learned from.",
        "That is normal for turns kept as context. If you expected more examples, fill in the "
        "ideal response (target_response) for those turns and upload the file again.",
    )


def _low_review(stats: TrainingFileStats) -> Problem | None:
    if not stats.pair_count or stats.review_share >= LOW_REVIEW_SHARE:
        return None
    return Problem(
        "low_review_share",
        f"Only {stats.review_share:.0%} of the training pairs ({stats.human_reviewed_count:,} "
        f"of {stats.pair_count:,}) have been reviewed by a person.",
        f"Review more pairs in the conversation generator: at least {LOW_REVIEW_SHARE:.0%} is "
        "recommended, and needed for a High quality badge.",
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _claimed(training_file: TrainingFile, key: str) -> int | None:
    value = training_file.metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mean(scores: Iterable[float | None]) -> float | None:
    present = [score for score in scores if score is not None]
    return sum(present) / len(present) if present else None


def _distribution(conversations: list[Conversation]) -> ScaffoldingDistribution:
    scaffoldings = [c.scaffolding for c in conversations if c.scaffolding is not None]
    return ScaffoldingDistribution(
        personas=_count(s.persona_key for s in scaffoldings),
        emotional_arcs=_count(s.emotional_arc_key for s in scaffoldings),
        training_topics=_count(s.training_topic_key for s in scaffoldings),
    )


def _count(keys: Iterable[str | None]) -> dict[str, int]:
    return dict(Counter(key for key in keys if key).most_common())


def _characters(pair: TrainingPair) -> int:
    history = sum(len(turn.content) for turn in pair.history)
    target = len(pair.target_response or "")
    return len(pair.system_prompt) + history + len(pair.current_user_input) + target
