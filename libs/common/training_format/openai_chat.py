"""OpenAI chat JSONL (spec section 5): one {"messages": [...]} conversation per line.

Every assistant message is a target; what precedes it is the example's context: system
messages become the system prompt, the last user message the current user input, and the
rest the history.
"""

from typing import Any, NamedTuple

from .errors import missing_field, wrong_type
from .fields import opt_text, require_dict, require_list
from .model import Conversation, TrainingFile, TrainingPair, Turn

_SYSTEM_ROLES = ("system", "developer")  # OpenAI renamed "system" to "developer" for new models


class _Message(NamedTuple):
    role: str
    content: str | None
    trained: bool


def parse_openai_chat(rows: list[tuple[int, Any]]) -> TrainingFile:
    return TrainingFile(
        format="openai-chat",
        metadata={},
        consultant_profile=None,
        conversations=[_conversation(value, line) for line, value in rows],
    )


def _conversation(value: object, line: int) -> Conversation:
    where, at = f"Line {line}", {"line": line}
    row = require_dict(value, where, at)
    raw_messages = require_list(row, "messages", where, at)
    messages = [_message(raw, f"Message {n} on line {line}", at)
                for n, raw in enumerate(raw_messages, 1)]
    conversation_id = opt_text(row.get("id")) or f"line-{line}"
    return Conversation(
        conversation_id=conversation_id,
        metadata={key: v for key, v in row.items() if key != "messages"},
        scaffolding=None,
        quality_tier=None,
        pairs=_pairs(messages, conversation_id),
    )


def _message(raw: object, where: str, at: dict[str, Any]) -> _Message:
    message = require_dict(raw, where, at)
    role = opt_text(message.get("role"))
    if role is None:
        raise missing_field(where, "role", at)
    # OpenAI's fine-tuning format marks assistant turns to skip with "weight": 0.
    return _Message(role, _content(message, where, at), message.get("weight") != 0)


def _content(message: dict[str, Any], where: str, at: dict[str, Any]) -> str | None:
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content
    # Content may also be a list of parts; only the text parts are training text.
    if isinstance(content, list):
        return "".join(p["text"] for p in content
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    raise wrong_type(where, "content", "text or a list of text parts", content, at)


def _pairs(messages: list[_Message], conversation_id: str) -> list[TrainingPair]:
    system: list[str] = []
    dialogue: list[Turn] = []
    pairs: list[TrainingPair] = []
    for message in messages:
        if message.role in _SYSTEM_ROLES:
            system.append(message.content or "")
            continue
        if message.role == "assistant":
            pairs.append(_pair(message, system, dialogue, conversation_id, len(pairs) + 1))
        dialogue.append(Turn(role=message.role, content=message.content or ""))
    return pairs


def _pair(
    message: _Message, system: list[str], dialogue: list[Turn], conversation_id: str, turn: int
) -> TrainingPair:
    # Without a user message right before it, the reply answers nothing: the pair is unusable.
    answers_user = bool(dialogue) and dialogue[-1].role == "user"
    return TrainingPair(
        id=f"{conversation_id}_turn{turn}",
        conversation_id=conversation_id,
        turn_number=turn,
        system_prompt="\n\n".join(part for part in system if part),
        history=dialogue[:-1] if answers_user else list(dialogue),
        current_user_input=dialogue[-1].content if answers_user else "",
        target_response=message.content if message.trained else None,
    )
