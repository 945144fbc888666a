"""ShareGPT: {"conversations": [{"from": "system"|"human"|"gpt", "value": ...}]} per conversation,
as a JSON list or one per line. Variants seen in the wild are read too: "user"/"assistant" as
speakers, "role"/"content" as keys, a top-level "system" prompt, and "weight": 0 for a reply
kept as context (axolotl). Pairs as for OpenAI chat (dialogue.py).
"""

from typing import Any

from .dialogue import Message, dialogue_conversation, text_content
from .errors import missing_field
from .fields import opt_text, require_dict, require_list, text_or_empty
from .model import Conversation, TrainingFile

# Speaker names of the ShareGPT exports and their converters, as the roles the trainer uses.
_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
          "chatgpt": "assistant", "bard": "assistant", "bing": "assistant", "model": "assistant",
          "system": "system"}


def is_sharegpt(row: dict[str, Any]) -> bool:
    """A list of speaker turns under "conversations" (an aggregated file's conversations hold
    training_pairs instead)."""
    turns = row.get("conversations")
    if "training_file_metadata" in row or not isinstance(turns, list) or not turns:
        return False
    first = turns[0]
    return isinstance(first, dict) and ("from" in first or "value" in first or (
        "role" in first and "training_pairs" not in first))


def parse_sharegpt(rows: list[tuple[int, Any]], unit: str) -> TrainingFile:
    """`unit` names a row in errors: "Line" in .jsonl files, "Entry" in a JSON list."""
    return TrainingFile(format="sharegpt", metadata={}, consultant_profile=None,
                        conversations=[_conversation(value, n, unit) for n, value in rows])


def _conversation(value: object, number: int, unit: str) -> Conversation:
    where, at = f"{unit} {number}", {unit.lower(): number}
    row = require_dict(value, where, at)
    raw_turns = require_list(row, "conversations", where, at)
    system = text_or_empty(row, "system", where, at)
    messages = [Message("system", system)] if system.strip() else []
    messages += [_message(raw, f"Turn {n} of {unit.lower()} {number}", at)
                 for n, raw in enumerate(raw_turns, 1)]
    return dialogue_conversation(row, messages, f"{unit.lower()}-{number}", ("conversations",))


def _message(raw: object, where: str, at: dict[str, Any]) -> Message:
    turn = require_dict(raw, where, at)
    speaker = opt_text(turn.get("from")) or opt_text(turn.get("role"))
    if speaker is None:
        raise missing_field(where, "from", at)
    key = "value" if "value" in turn or "content" not in turn else "content"
    if key not in turn:
        raise missing_field(where, key, at)
    role = _ROLES.get(speaker.strip().lower(), speaker)  # tool/function turns stay context
    return Message(role, text_content(turn, key, where, at), turn.get("weight") != 0)
