"""OpenAI chat JSONL (spec section 5): one {"messages": [...]} conversation per line.

Every assistant message is a target (dialogue.py makes the pairs).
"""

from typing import Any

from .dialogue import Message, dialogue_conversation, text_content
from .errors import missing_field
from .fields import opt_text, require_dict, require_list
from .model import Conversation, TrainingFile


def parse_openai_chat(rows: list[tuple[int, Any]], unit: str = "Line") -> TrainingFile:
    """`unit` names a row in errors: "Line" in .jsonl files, "Entry" in a JSON list."""
    return TrainingFile(
        format="openai-chat",
        metadata={},
        consultant_profile=None,
        conversations=[_conversation(value, line, unit) for line, value in rows],
    )


def _conversation(value: object, line: int, unit: str) -> Conversation:
    where, at = f"{unit} {line}", {unit.lower(): line}
    row = require_dict(value, where, at)
    raw_messages = require_list(row, "messages", where, at)
    messages = [_message(raw, f"Message {n} on {unit.lower()} {line}", at)
                for n, raw in enumerate(raw_messages, 1)]
    return dialogue_conversation(row, messages, f"{unit.lower()}-{line}", ("messages",))


def _message(raw: object, where: str, at: dict[str, Any]) -> Message:
    message = require_dict(raw, where, at)
    role = opt_text(message.get("role"))
    if role is None:
        raise missing_field(where, "role", at)
    # OpenAI's fine-tuning format marks assistant turns to skip with "weight": 0.
    return Message(role, text_content(message, "content", where, at), message.get("weight") != 0)
