"""What a training file holds, counted from its content (UJ1.1.1-UJ1.1.2). No I/O.

Stats are computed from the content, never trusted from the file's own metadata: real files
claim counts that disagree with what they contain. Whether the file can train a model is
services/jobs/training_file_eligibility.py.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Literal

import msgspec

from libs.common.training_format import Claim, Conversation, TrainingFile, TrainingPair

QualityBadge = Literal["High", "Medium", "Low"]

LOW_REVIEW_SHARE = 0.2  # below this share of human-reviewed pairs, warn (and no High badge)
CHARS_PER_TOKEN = 4  # a rough English average; the trainer counts real tokens


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
