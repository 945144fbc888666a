"""Training pairs and scaffolding as the brightrun-lora-v4 formats write them (spec sections 2-4)."""

from typing import Any

from .errors import missing_field, wrong_type
from .fields import (
    dict_or_empty,
    opt_int,
    opt_score,
    opt_text,
    require_dict,
    required_text_or_null,
    text_or_empty,
)
from .model import Scaffolding, TrainingPair, Turn

# Scaffolding field -> the names it goes by: conversation_metadata.scaffolding uses the first,
# input_parameters of enriched files the *_name forms, and a pair's own conversation_metadata
# has no persona_key but a persona_archetype naming the same persona.
_SCAFFOLDING_ALIASES = {
    "persona_key": ("persona_key", "persona_archetype"),
    "persona_name": ("persona_name",),
    "emotional_arc_key": ("emotional_arc_key",),
    "emotional_arc": ("emotional_arc", "emotional_arc_name"),
    "training_topic_key": ("training_topic_key",),
    "training_topic": ("training_topic", "training_topic_name"),
}


def parse_pair(
    raw: object,
    *,
    unnamed: str,
    context: str,
    details: dict[str, Any],
    default_conversation_id: str,
    default_turn: int,
) -> TrainingPair:
    """One pair; `unnamed` and `context` name it in errors ("Pair 3", "in conversation 2")."""
    raw = require_dict(raw, f"{unnamed} {context}", details)
    pair_id = opt_text(raw.get("id"))
    where = f'Pair "{pair_id}" {context}' if pair_id else f"{unnamed} {context}"
    at = {**details, "pair_id": pair_id}
    conversation_id = opt_text(raw.get("conversation_id")) or default_conversation_id
    turn_number = opt_int(raw.get("turn_number")) or default_turn
    current_user_input = required_text_or_null(raw, "current_user_input", where, at) or ""
    target_response = required_text_or_null(raw, "target_response", where, at)
    return TrainingPair(
        id=pair_id or f"{conversation_id}_turn{turn_number}",
        conversation_id=conversation_id,
        turn_number=turn_number,
        system_prompt=text_or_empty(raw, "system_prompt", where, at),
        history=_history(raw, where, at),
        current_user_input=current_user_input,
        target_response=target_response,
        **_review(raw, where, at),
    )


def _history(raw: dict[str, Any], where: str, at: dict[str, Any]) -> list[Turn]:
    items = raw.get("conversation_history")
    if items is None:
        return []
    if not isinstance(items, list):
        raise wrong_type(where, "conversation_history", "a list", items, at)
    return [_turn(item, f"History entry {n} of {where[0].lower()}{where[1:]}", at)
            for n, item in enumerate(items, 1)]


def _turn(item: object, where: str, at: dict[str, Any]) -> Turn:
    item = require_dict(item, where, at)
    role = opt_text(item.get("role"))
    if role is None:
        raise missing_field(where, "role", at)
    content = required_text_or_null(item, "content", where, at)
    return Turn(role=role, content=content or "")


def _review(raw: dict[str, Any], where: str, at: dict[str, Any]) -> dict[str, Any]:
    training = dict_or_empty(raw, "training_metadata", where, at)
    criteria = dict_or_empty(training, "quality_criteria", where, at)
    # The spec lists human_reviewed beside quality_criteria; accept it inside too.
    reviewed = training.get("human_reviewed", criteria.get("human_reviewed"))
    return {
        "quality_score": opt_score(training.get("quality_score")),
        "empathy_score": opt_score(criteria.get("empathy_score")),
        "clarity_score": opt_score(criteria.get("clarity_score")),
        "appropriateness_score": opt_score(criteria.get("appropriateness_score")),
        "brand_voice_alignment": opt_score(criteria.get("brand_voice_alignment")),
        "human_reviewed": reviewed is True,
    }


def scaffolding_from(*sources: dict[str, Any]) -> Scaffolding | None:
    """Each field from the first source that has it; None when no source has any."""
    values = {
        field: next((v for s in sources for a in aliases if (v := opt_text(s.get(a)))), None)
        for field, aliases in _SCAFFOLDING_ALIASES.items()
    }
    if all(value is None for value in values.values()):
        return None
    return Scaffolding(**values)


def pair_conversation_metadata(raw_pairs: list) -> dict[str, Any]:
    """The first pair's conversation_metadata: where JSONL files keep the scaffolding keys."""
    for raw in raw_pairs:
        if isinstance(raw, dict) and isinstance(raw.get("conversation_metadata"), dict):
            return raw["conversation_metadata"]
    return {}


def first_conversation_id(raw_pairs: list) -> str | None:
    for raw in raw_pairs:
        if isinstance(raw, dict) and (conversation_id := opt_text(raw.get("conversation_id"))):
            return conversation_id
    return None
