"""The Bright Run generator's conversations before enrichment: {"conversation_metadata": {...},
"turns": [{"role", "content"}, ...]}, one per file, a JSON list of them, or one per line.

Not enriched: no per-pair quality scores or emotional context, so such a file trains but its
badge is Low and eligibility says why (services/jobs/training_file_eligibility.py). Pairs are each
assistant turn with the turns before it (dialogue.py).
"""

from typing import Any

from .claims import claim
from .dialogue import Message, dialogue_pairs, text_content
from .errors import missing_field
from .fields import dict_or_empty, opt_text, require_dict, require_list, text_or_empty
from .model import Claim, Conversation, TrainingFile
from .pairs import scaffolding_from


def is_generator_raw(row: dict[str, Any]) -> bool:
    return isinstance(row.get("turns"), list) and "training_pairs" not in row


def parse_generator_raw(rows: list[tuple[int, Any]], unit: str) -> TrainingFile:
    """`unit` names a row in errors: "Line", "Entry", or "The file" for a single conversation."""
    parsed = [_conversation(value, n, unit) for n, value in rows]
    return TrainingFile(
        format="brightrun-raw",
        metadata={},
        consultant_profile=None,
        conversations=[conversation for conversation, _ in parsed],
        claims=[c for _, claims in parsed for c in claims],
    )


def _conversation(value: object, number: int, unit: str) -> tuple[Conversation, list[Claim]]:
    single = unit == "The file"
    where = unit if single else f"{unit} {number}"
    at: dict[str, Any] = {} if single else {unit.lower(): number}
    row = require_dict(value, where, at)
    metadata = dict_or_empty(row, "conversation_metadata", where, at)
    raw_turns = require_list(row, "turns", where, at)
    place = "the file" if single else f"{unit.lower()} {number}"
    turns = [_turn(raw, f"Turn {n} of {place}", at) for n, raw in enumerate(raw_turns, 1)]
    system = (text_or_empty(row, "system_prompt", where, at)
              or text_or_empty(metadata, "system_prompt", where, at))
    messages = ([Message("system", system)] if system.strip() else []) + turns
    named = opt_text(metadata.get("conversation_id")) or opt_text(row.get("conversation_id"))
    conversation_id = named or ("conversation-1" if single else f"{unit.lower()}-{number}")
    conversation = Conversation(
        conversation_id=conversation_id,
        metadata=metadata,
        scaffolding=scaffolding_from(dict_or_empty(metadata, "scaffolding", where, at), metadata),
        quality_tier=opt_text(metadata.get("quality_tier")),
        pairs=dialogue_pairs(messages, conversation_id),
        id_from_file=named is not None,
    )
    return conversation, _turn_claims(metadata, turns, conversation, place)


def _turn(raw: object, where: str, at: dict[str, Any]) -> Message:
    turn = require_dict(raw, where, at)
    role = opt_text(turn.get("role"))
    if role is None:
        raise missing_field(where, "role", at)
    if "content" not in turn:
        raise missing_field(where, "content", at)
    return Message(role.strip().lower(), text_content(turn, "content", where, at))


def _turn_claims(
    metadata: dict[str, Any], turns: list[Message], conversation: Conversation, place: str
) -> list[Claim]:
    # Enriched files count a turn as one exchange (total_turns = training pairs) while this
    # shape lists each message as a turn: a claim true under either reading is not a mismatch.
    exchanges = len(conversation.pairs)
    found = claim(metadata, "total_turns", f"conversation_metadata.total_turns of {place}",
                  f"entries in turns of conversation {conversation.conversation_id}", len(turns))
    return [c for c in found if c.claimed != exchanges]
