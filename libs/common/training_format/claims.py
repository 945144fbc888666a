"""Counts a file states about itself, collected with what its content gives (issue 17).

Real files claim counts that disagree with what they hold (spec: "What real files look like").
The parsers collect every claim they find into TrainingFile.claims; the statistics report the
ones that differ, with both numbers. Metadata's total_conversations and total_training_pairs
are not collected here: the statistics have always compared those themselves.
"""

from collections import Counter
from typing import Any

from .fields import opt_int
from .model import Claim, Conversation

_DISTRIBUTIONS = (("personas", "persona_key"), ("emotional_arcs", "emotional_arc_key"),
                  ("training_topics", "training_topic_key"))


def claim(container: object, key: str, field: str, counts: str, actual: int) -> list[Claim]:
    """The claim `container[key]` makes, if it is a whole number (anything else claims nothing)."""
    claimed = opt_int(container.get(key)) if isinstance(container, dict) else None
    return [] if claimed is None else [Claim(field, counts, claimed, actual)]


def summary_claims(metadata: dict[str, Any], prefix: str,
                   conversations: list[Conversation]) -> list[Claim]:
    """What an aggregated file's metadata summarises: reviewed pairs and the scaffolding mix."""
    reviewed = sum(pair.human_reviewed for c in conversations for pair in c.pairs)
    claims = claim(metadata.get("quality_summary"), "human_reviewed_count",
                   f"{prefix}.quality_summary.human_reviewed_count",
                   "training pairs reviewed by a person", reviewed)
    distribution = metadata.get("scaffolding_distribution")
    if not isinstance(distribution, dict):
        return claims
    for group, key_field in _DISTRIBUTIONS:
        claimed = distribution.get(group)
        if not isinstance(claimed, dict):
            continue
        actual = Counter(getattr(c.scaffolding, key_field) for c in conversations if c.scaffolding)
        for key in claimed:
            claims += claim(claimed, key, f"{prefix}.scaffolding_distribution.{group}.{key}",
                            f"conversations with {key_field} {key!r}", actual.get(key, 0))
    return claims


def turn_claims(conversations: list[Conversation], field: str = "total_turns") -> list[Claim]:
    """Each conversation's own total_turns (in its metadata) against its training pairs."""
    claims: list[Claim] = []
    for number, conversation in enumerate(conversations, 1):
        claims += claim(conversation.metadata, field,
                        f"conversation_metadata.{field} of conversation {number}",
                        f"training pairs in conversation {conversation.conversation_id}",
                        len(conversation.pairs))
    return claims
