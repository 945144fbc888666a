"""Alpaca: {"instruction", "input", "output"} per example (+ optional "system" and "history",
a list of earlier [instruction, output] exchanges), as a JSON list or one per line.

The instruction and its input are the client's message; the output is the target. History
exchanges come first, and each of their replies is a target too, as in every message format
here (dialogue.py): pairs are each assistant turn with the turns before it.
"""

from typing import Any

from .dialogue import Message, dialogue_conversation
from .errors import wrong_entry, wrong_type
from .fields import require_dict, required_text_or_null, text_or_empty
from .model import Conversation, TrainingFile


def is_alpaca(row: dict[str, Any]) -> bool:
    return "instruction" in row and ("output" in row or "input" in row)


def parse_alpaca(rows: list[tuple[int, Any]], unit: str) -> TrainingFile:
    """`unit` names a row in errors: "Line" in .jsonl files, "Entry" in a JSON list."""
    return TrainingFile(format="alpaca", metadata={}, consultant_profile=None,
                        conversations=[_conversation(value, n, unit) for n, value in rows])


def _conversation(value: object, number: int, unit: str) -> Conversation:
    where, at = f"{unit} {number}", {unit.lower(): number}
    row = require_dict(value, where, at)
    instruction = required_text_or_null(row, "instruction", where, at) or ""
    extra = text_or_empty(row, "input", where, at)
    output = required_text_or_null(row, "output", where, at)
    system = text_or_empty(row, "system", where, at)
    messages = [Message("system", system)] if system.strip() else []
    messages += _history(row, where, at)
    # Blank parts are left out so that an empty instruction with an empty input stays blank.
    question = "\n\n".join(part for part in (instruction, extra) if part.strip())
    messages += [Message("user", question), Message("assistant", output)]
    return dialogue_conversation(row, messages, f"{unit.lower()}-{number}", ("instruction", "input", "output", "history", "system"))


def _history(row: dict[str, Any], where: str, at: dict[str, Any]) -> list[Message]:
    history = row.get("history")
    if history is None:
        return []
    if not isinstance(history, list):
        raise wrong_type(where, "history", "a list of [instruction, output] pairs", history, at)
    messages: list[Message] = []
    for n, exchange in enumerate(history, 1):
        if not (isinstance(exchange, list) and len(exchange) == 2
                and all(part is None or isinstance(part, str) for part in exchange)):
            raise wrong_entry(f"History entry {n} of {where[0].lower()}{where[1:]}",
                              "a pair of texts [instruction, output]", exchange, at)
        messages += [Message("user", exchange[0]), Message("assistant", exchange[1])]
    return messages
