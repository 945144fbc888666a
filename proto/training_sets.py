"""Training sets (issue 17): several uploaded training files combined into one, with statistics
and eligibility computed on the combination and each conversation counted once. Owned by the
jobs service; queries and commands under `rpc.jobs.*`. A job trains on a set with
CreateJob(training_set_id=...)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import msgspec

SetName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TrainingFileView(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded training file as the jobs service answers it (RegisterTrainingFile,
    ListTrainingFiles, GetTrainingFile)."""

    id: uuid.UUID
    name: str
    filename: str
    format: str
    size_bytes: int
    created_at: datetime
    conversation_count: int | None
    quality_badge: str | None
    # services/jobs/training_file_stats.TrainingFileStats and training_file_eligibility
    # .Eligibility as stored at upload (older uploads may lack newer fields).
    stats: dict[str, Any]
    eligibility: dict[str, Any]
    storage_key: str | None = None  # packaging reads the file's held-out split through it


class CreateTrainingSet(msgspec.Struct, frozen=True, kw_only=True):
    """Combine uploaded files, in this order (the first copy of a repeated conversation is kept)."""

    subject: ClassVar[str] = "rpc.jobs.create_training_set"
    name: SetName
    training_file_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)]


class ListTrainingSets(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.list_training_sets"
    limit: int = 100


class GetTrainingSet(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.jobs.get_training_set"
    training_set_id: uuid.UUID


class DuplicateConversation(msgspec.Struct, frozen=True, kw_only=True):
    """A conversation left out of the set because it already holds it: which, where, how told."""

    conversation_id: str
    training_file_id: uuid.UUID  # the file where it appears again
    file_name: str
    position: int  # its conversation number in that file, 1-based
    same_as: str  # the conversation id it repeats
    kept_in_file_id: uuid.UUID  # the file whose copy the set keeps
    kept_in_file_name: str
    by: Literal["id", "content"]


class SetMember(msgspec.Struct, frozen=True, kw_only=True):
    training_file_id: uuid.UUID
    name: str
    conversation_count: int


class TrainingSetView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    files: list[SetMember]
    # The combined, de-duplicated file (brightrun-lora-v4 aggregated JSON) a job trains on:
    # a training file of its own, whose stats and eligibility are the set's.
    training_file_id: uuid.UUID
    storage_key: str
    conversation_count: int
    duplicate_count: int
    duplicates: list[DuplicateConversation]
    stats: dict[str, Any]
    eligibility: dict[str, Any]
    created_at: datetime
