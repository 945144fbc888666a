"""Several parsed files as one training set (issue 17): a conversation present twice, in one
file or in two, by its id or by the content of its turns, is kept once and reported.

No I/O: the jobs service reads the files, calls `combine`, and writes `to_aggregated_json`
(write.py) of the result for the trainer, which reads one file.
"""

import hashlib
from typing import Literal

import msgspec

from .model import Conversation, TrainingFile


class Duplicate(msgspec.Struct, frozen=True):
    """A conversation left out because the set already holds it."""

    conversation_id: str
    file: str  # the file (its name in the set) where it appears again
    position: int  # its conversation number in that file, 1-based
    same_as: str  # the conversation id it repeats
    kept_in: str  # the file whose copy the set keeps
    by: Literal["id", "content"]


def content_key(conversation: Conversation) -> str:
    """A hash of what the model would see: every pair's prompt, history, input and target.
    Ids, scores and metadata are left out, so a copy exported again under a new id matches."""
    turns = [(p.system_prompt, [(t.role, t.content) for t in p.history], p.current_user_input,
              p.target_response) for p in conversation.pairs]
    return hashlib.sha256(msgspec.json.encode(turns)).hexdigest()


def combine(files: list[tuple[str, TrainingFile]], name: str
            ) -> tuple[TrainingFile, list[Duplicate]]:
    """`files` as (name, parsed file) in the order given; the first copy of a conversation wins."""
    kept: list[Conversation] = []
    duplicates: list[Duplicate] = []
    by_id: dict[str, tuple[str, str]] = {}  # conversation id -> (its id, file kept in)
    by_content: dict[str, tuple[str, str]] = {}
    for file_name, training_file in files:
        for position, conversation in enumerate(training_file.conversations, 1):
            key = content_key(conversation)
            named = conversation.id_from_file and conversation.conversation_id in by_id
            seen = by_id.get(conversation.conversation_id) if named else by_content.get(key)
            if seen is not None:
                duplicates.append(Duplicate(conversation.conversation_id, file_name, position,
                                            seen[0], seen[1], "id" if named else "content"))
                continue
            kept.append(_with_source(conversation, file_name))
            if conversation.id_from_file:
                by_id[conversation.conversation_id] = (conversation.conversation_id, file_name)
            by_content[key] = (conversation.conversation_id, file_name)
    profile = next((f.consultant_profile for _, f in files if f.consultant_profile), None)
    combined = TrainingFile(
        format="brightrun-aggregated",
        metadata={"file_name": name, "format_spec": "brightrun-lora-v4",
                  "combined_from": [file_name for file_name, _ in files],
                  "total_conversations": len(kept),
                  "total_training_pairs": sum(len(c.pairs) for c in kept)},
        consultant_profile=profile,
        conversations=kept,
    )
    return combined, duplicates


def _with_source(conversation: Conversation, file_name: str) -> Conversation:
    metadata = {"source_file": file_name, **conversation.metadata}
    if conversation.id_from_file:
        return msgspec.structs.replace(conversation, metadata=metadata)
    # A generated id ("line-3") is unique only inside its file: qualify it with the file, on
    # the pairs too (the trainer groups pairs into conversations by their conversation_id).
    conversation_id = f"{file_name}:{conversation.conversation_id}"
    pairs = [msgspec.structs.replace(pair, id=f"{file_name}:{pair.id}",
                                     conversation_id=conversation_id)
             for pair in conversation.pairs]
    return msgspec.structs.replace(conversation, conversation_id=conversation_id,
                                   metadata=metadata, pairs=pairs)
