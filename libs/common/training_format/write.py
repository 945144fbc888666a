"""A parsed file written back as a brightrun-lora-v4 aggregated file (spec section 1): how a
combined training set reaches the trainer, which reads one file. What it writes parses back to
the same conversations and pairs, and every count it states is true.
"""

from collections import Counter
from typing import Any

import msgspec

from .model import Conversation, TrainingFile, TrainingPair

# conversation_metadata keys the writer states itself; the rest of a conversation's metadata
# is kept as found (a source's "scaffolding" or "total_turns" might be anything).
_STATED = ("conversation_id", "total_turns", "quality_tier", "scaffolding")


def to_aggregated_json(training_file: TrainingFile) -> bytes:
    conversations = training_file.conversations
    pairs = [pair for conversation in conversations for pair in conversation.pairs]
    metadata = {
        **training_file.metadata,
        "format_spec": "brightrun-lora-v4",
        "total_conversations": len(conversations),
        "total_training_pairs": len(pairs),
        "quality_summary": {"human_reviewed_count": sum(p.human_reviewed for p in pairs)},
        "scaffolding_distribution": _distribution(conversations),
    }
    document = {
        "training_file_metadata": metadata,
        "consultant_profile": training_file.consultant_profile,
        "conversations": [_conversation(conversation) for conversation in conversations],
    }
    return msgspec.json.encode(document)


def _conversation(conversation: Conversation) -> dict[str, Any]:
    metadata = {k: v for k, v in conversation.metadata.items() if k not in _STATED}
    metadata.update(conversation_id=conversation.conversation_id,
                    total_turns=len(conversation.pairs), quality_tier=conversation.quality_tier)
    if conversation.scaffolding is not None:
        metadata["scaffolding"] = msgspec.to_builtins(conversation.scaffolding)
    return {"conversation_metadata": metadata,
            "training_pairs": [_pair(pair) for pair in conversation.pairs]}


def _pair(pair: TrainingPair) -> dict[str, Any]:
    return {
        "id": pair.id,
        "conversation_id": pair.conversation_id,
        "turn_number": pair.turn_number,
        "system_prompt": pair.system_prompt,
        "conversation_history": [{"role": t.role, "content": t.content} for t in pair.history],
        "current_user_input": pair.current_user_input,
        "target_response": pair.target_response,
        "training_metadata": {
            "quality_score": pair.quality_score,
            "quality_criteria": {
                "empathy_score": pair.empathy_score,
                "clarity_score": pair.clarity_score,
                "appropriateness_score": pair.appropriateness_score,
                "brand_voice_alignment": pair.brand_voice_alignment,
            },
            "human_reviewed": pair.human_reviewed,
        },
    }


def _distribution(conversations: list[Conversation]) -> dict[str, dict[str, int]]:
    scaffoldings = [c.scaffolding for c in conversations if c.scaffolding is not None]
    return {group: dict(Counter(k for s in scaffoldings if (k := getattr(s, field))))
            for group, field in (("personas", "persona_key"),
                                 ("emotional_arcs", "emotional_arc_key"),
                                 ("training_topics", "training_topic_key"))}
