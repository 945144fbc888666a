"""What a parsed training file is, whatever format it arrived in.

Field names are the spec's words (spec/training-file-format.md). Every struct is frozen: a
parsed file is a value that the gateway, the jobs service and the trainer share read-only.
"""

from collections.abc import Iterator
from typing import Any, Literal

import msgspec

Format = Literal[
    "brightrun-aggregated", "brightrun-conversation", "brightrun-jsonl", "openai-chat",
    "sharegpt", "alpaca",
    "brightrun-raw",  # the generator's conversations before enrichment: metadata plus turns
]


def _filled(text: str | None) -> bool:
    return text is not None and text.strip() != ""


class Turn(msgspec.Struct, frozen=True):
    """One earlier message of the conversation, shown to the model as context."""

    role: str
    content: str


class Scaffolding(msgspec.Struct, frozen=True):
    """The enrichment keys the generator attached to a conversation, and their display names."""

    persona_key: str | None = None
    persona_name: str | None = None
    emotional_arc_key: str | None = None
    emotional_arc: str | None = None
    training_topic_key: str | None = None
    training_topic: str | None = None

    @property
    def complete(self) -> bool:
        """Enriched means persona, emotional arc and training topic keys are all present."""
        keys = (self.persona_key, self.emotional_arc_key, self.training_topic_key)
        return all(_filled(key) for key in keys)


class TrainingPair(msgspec.Struct, frozen=True):
    """System prompt + history + current user input -> target response."""

    id: str
    conversation_id: str
    turn_number: int
    system_prompt: str
    history: list[Turn]
    current_user_input: str
    # None for turns kept as context only (about half of the pairs in real files).
    target_response: str | None
    quality_score: float | None = None
    empathy_score: float | None = None
    clarity_score: float | None = None
    appropriateness_score: float | None = None
    brand_voice_alignment: float | None = None
    human_reviewed: bool = False

    @property
    def usable(self) -> bool:
        """A training example needs a client message to answer and an ideal reply to learn."""
        return _filled(self.target_response) and _filled(self.current_user_input)


class Conversation(msgspec.Struct, frozen=True):
    conversation_id: str
    metadata: dict[str, Any]
    scaffolding: Scaffolding | None
    quality_tier: str | None
    pairs: list[TrainingPair]
    # False where the file named no id and the parser made one up ("line-3"): such an id says
    # nothing about which conversation this is, so combining files never matches on it.
    id_from_file: bool = True

    @property
    def enriched(self) -> bool:
        return self.scaffolding is not None and self.scaffolding.complete


class Claim(msgspec.Struct, frozen=True):
    """A count the file states about itself (in any metadata), beside what it holds."""

    field: str  # where the file says it: "conversations[3].conversation_metadata.total_turns"
    counts: str  # what is counted, in words: "training pairs in conversation 3f2a…"
    claimed: int
    actual: int


class TrainingFile(msgspec.Struct, frozen=True):
    format: Format
    # The file-level metadata exactly as found (claimed counts may disagree with content).
    metadata: dict[str, Any]
    consultant_profile: dict[str, Any] | None
    conversations: list[Conversation]
    # Counts stated in the file beyond metadata's total_conversations/total_training_pairs
    # (which the statistics compare themselves), each with the count the content gives.
    claims: list[Claim] = []


def iter_examples(training_file: TrainingFile) -> Iterator[TrainingPair]:
    """The pairs the trainer learns from: null or blank targets are context, not examples."""
    for conversation in training_file.conversations:
        for pair in conversation.pairs:
            if pair.usable:
                yield pair
