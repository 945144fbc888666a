"""Conversations written as a list of messages (OpenAI chat, ShareGPT, Alpaca, the generator's
raw turns), made into training pairs: each assistant message is a target, and what precedes it
is the example's context: system messages become the system prompt, the user message right
before it the current user input, and the rest the history.
"""

from typing import Any, NamedTuple

from .errors import wrong_type
from .fields import opt_text
from .model import Conversation, TrainingPair, Turn

SYSTEM_ROLES = ("system", "developer")  # OpenAI renamed "system" to "developer" for new models


class Message(NamedTuple):
    role: str
    content: str | None
    trained: bool = True  # False for a reply kept as context ("weight": 0)


def text_content(message: dict[str, Any], key: str, where: str, at: dict[str, Any]) -> str | None:
    """Text, null, or a list of parts of which only the text parts are training text."""
    content = message.get(key)
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p["text"] for p in content
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    raise wrong_type(where, key, "text or a list of text parts", content, at)


def dialogue_pairs(messages: list[Message], conversation_id: str) -> list[TrainingPair]:
    system: list[str] = []
    dialogue: list[Turn] = []
    pairs: list[TrainingPair] = []
    for message in messages:
        if message.role in SYSTEM_ROLES:
            system.append(message.content or "")
            continue
        if message.role == "assistant":
            pairs.append(_pair(message, system, dialogue, conversation_id, len(pairs) + 1))
        dialogue.append(Turn(role=message.role, content=message.content or ""))
    return pairs


def _pair(
    message: Message, system: list[str], dialogue: list[Turn], conversation_id: str, turn: int
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


def dialogue_conversation(row: dict[str, Any], messages: list[Message], fallback_id: str,
                          consumed: tuple[str, ...]) -> Conversation:
    """A row of a message-list format as a conversation: its own `id` when it names one (only
    those can match another file's copy), its other keys kept as metadata."""
    named = opt_text(row.get("id"))
    conversation_id = named or fallback_id
    return Conversation(
        conversation_id=conversation_id,
        metadata={key: v for key, v in row.items() if key not in consumed},
        scaffolding=None,
        quality_tier=None,
        pairs=dialogue_pairs(messages, conversation_id),
        id_from_file=named is not None,
    )
