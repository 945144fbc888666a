"""Training sets (issue 17): uploaded files combined, statistics and eligibility computed on the
combination, each conversation counted once. The rules first (no I/O, unit-tested), then the
handlers. The combined, de-duplicated file is written to storage as brightrun-lora-v4
aggregated JSON and registered as a training file of its own: a job on the set queues its key,
and the trainer, which reads one file, is unchanged."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import msgspec

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from libs.common.training_format import TrainingFile, TrainingFormatError, parse_training_file
from libs.common.training_format.combine import Duplicate, combine
from libs.common.training_format.write import to_aggregated_json
from proto.api import ServiceError
from proto.jobs import CreateJob
from proto.training_sets import (
    CreateTrainingSet,
    DuplicateConversation,
    GetTrainingSet,
    ListTrainingSets,
    TrainingSetView,
)
from services.jobs.training_file_eligibility import (
    UNENRICHED_FORMATS,
    Eligibility,
    Problem,
    check_eligibility,
)
from services.jobs.training_file_repository import TrainingFiles, TrainingSets
from services.jobs.training_file_stats import compute_stats

SHOWN_DUPLICATES = 5  # named in the warning; all of them are in the set's `duplicates`


# --- rules ---------------------------------------------------------------------------------------


def member_labels(rows: list[dict[str, Any]]) -> list[str]:
    """Each file's name in the set: its filename, numbered where two uploads share one."""
    labels: list[str] = []
    for row in rows:
        label, n = row["filename"], 2
        while label in labels:
            label, n = f"{row['filename']} ({n})", n + 1
        labels.append(label)
    return labels


def set_eligibility(stats: Any, duplicates: list[Duplicate], min_conversations: int,
                    source_formats: list[str]) -> Eligibility:
    """The file rules on the combination; a set short of conversations grows by more files, and
    repeated conversations are reported (they count once). Conversations from formats that
    carry no enrichment (ShareGPT, ...) are not refused in a set either: a warning, as there."""
    base = check_eligibility(stats, min_conversations)
    lenient = any(fmt in UNENRICHED_FORMATS for fmt in source_formats)
    problems, warnings = [], list(base.warnings)
    for problem in base.problems:
        if problem.code == "too_few_conversations":
            problems.append(_more_files(problem))
        else:
            (warnings if lenient and problem.code == "not_enriched" else problems).append(problem)
    warnings += [duplicates_warning(duplicates)] if duplicates else []
    return Eligibility(eligible=not problems, problems=problems, warnings=warnings)


def _more_files(problem: Problem) -> Problem:
    return Problem(problem.code, problem.message.replace("This file", "This training set"),
                   "Add more files to the set: create a new training set with these files and "
                   "others (POST /api/v1/training-sets, or \"Combine with other files\" on a "
                   "file's page).")


def duplicates_warning(duplicates: list[Duplicate]) -> Problem:
    named = "; ".join(
        f"{d.conversation_id} (conversation {d.position} of {d.file}) repeats "
        f"{'the id' if d.by == 'id' else 'the turns'} of {d.same_as} in {d.kept_in}"
        for d in duplicates[:SHOWN_DUPLICATES])
    more = len(duplicates) - SHOWN_DUPLICATES
    rest = f"; and {more:,} more (see duplicates)" if more > 0 else ""
    count = len(duplicates)
    return Problem(
        "duplicate_conversations",
        f"{count:,} conversation{'' if count == 1 else 's'} appear{'s' if count == 1 else ''} "
        f"more than once and {'is' if count == 1 else 'are'} counted once: {named}{rest}.",
        "Nothing to do: the set trains on one copy of each. If the copies were meant to be "
        "different conversations, give them different ids and content, and upload again.",
    )


def duplicate_views(duplicates: list[Duplicate], labels: list[str],
                    rows: list[dict[str, Any]]) -> list[DuplicateConversation]:
    by_label = dict(zip(labels, rows, strict=True))
    return [DuplicateConversation(
        conversation_id=d.conversation_id, training_file_id=by_label[d.file]["id"],
        file_name=d.file, position=d.position, same_as=d.same_as,
        kept_in_file_id=by_label[d.kept_in]["id"], kept_in_file_name=d.kept_in, by=d.by)
        for d in duplicates]


def storage_key(set_id: uuid.UUID, name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:100] or "training-set"
    return f"training-sets/{set_id}/{safe}.json"


# --- handlers ------------------------------------------------------------------------------------


def _combine(store: ObjectStore, rows: list[dict[str, Any]], labels: list[str], name: str,
             min_conversations: int) -> tuple[bytes, Any, Eligibility, list[Duplicate]]:
    parsed: list[tuple[str, TrainingFile]] = []
    for row, label in zip(rows, labels, strict=True):
        try:
            parsed.append((label, parse_training_file(store.get_bytes(row["storage_key"]),
                                                      row["filename"])))
        except TrainingFormatError as exc:  # stored files parsed at upload; say so if not now
            raise ServiceError(exc.code, exc.message, exc.how_to_fix,
                               {**exc.details, "training_file_id": str(row["id"])}, 422) from exc
    combined, duplicates = combine(parsed, name)
    stats = compute_stats(combined)
    return (to_aggregated_json(combined), stats,
            set_eligibility(stats, duplicates, min_conversations,
                            [training_file.format for _, training_file in parsed]), duplicates)


async def create_training_set(cmd: CreateTrainingSet, uow: UnitOfWork, store: ObjectStore,
                              min_conversations: int) -> TrainingSetView:
    if len(set(cmd.training_file_ids)) != len(cmd.training_file_ids):
        raise ServiceError("training_file_listed_twice", "A training file is listed twice.",
                           "List each file once: its conversations are counted once anyway.",
                           {"training_file_ids": [str(i) for i in cmd.training_file_ids]}, 422)
    async with uow() as work:
        files = TrainingFiles(work.conn)
        rows = [await files.get(file_id) for file_id in cmd.training_file_ids]
    for file_id, row in zip(cmd.training_file_ids, rows, strict=True):
        if row is None:
            raise ServiceError.not_found("training file", file_id)
    labels = member_labels(rows)
    data, stats, eligibility, duplicates = await asyncio.to_thread(
        _combine, store, rows, labels, cmd.name.strip(), min_conversations)
    set_id = uuid.uuid4()
    key = storage_key(set_id, cmd.name)
    await asyncio.to_thread(store.put_bytes, key, data)
    async with uow() as work:
        await TrainingSets(work.conn).add(
            {"id": set_id, "name": cmd.name.strip(), "training_file_ids": cmd.training_file_ids,
             "duplicates": duplicate_views(duplicates, labels, rows)},
            {"id": uuid.uuid4(), "name": cmd.name.strip(), "filename": key.rsplit("/", 1)[1],
             "storage_key": key, "format": "brightrun-aggregated", "size_bytes": len(data),
             "stats": stats, "eligibility": eligibility})
        return await _view(TrainingSets(work.conn), set_id)


async def list_training_sets(q: ListTrainingSets, uow: UnitOfWork) -> list[TrainingSetView]:
    async with uow() as work:
        sets = TrainingSets(work.conn)
        return [await _view(sets, row["id"]) for row in await sets.list(q.limit)]


async def get_training_set(q: GetTrainingSet, uow: UnitOfWork) -> TrainingSetView:
    async with uow() as work:
        return await _view(TrainingSets(work.conn), q.training_set_id)


async def training_file_id_for(cmd: CreateJob, conn: Any) -> uuid.UUID:
    """The file a new job trains on: the one named, or the combined file of the set named."""
    if cmd.training_set_id is not None:
        row = await TrainingSets(conn).get(cmd.training_set_id)
        if row is None:
            raise ServiceError.not_found("training set", cmd.training_set_id)
        return row["training_file_id"]
    if cmd.training_file_id is None:
        raise ServiceError("training_data_missing", "The job names no training data.",
                           "Give training_file_id (an uploaded file) or training_set_id (a "
                           "training set combining several).", {}, 422)
    return cmd.training_file_id


async def _view(sets: TrainingSets, set_id: uuid.UUID) -> TrainingSetView:
    row = await sets.get(set_id)
    if row is None:
        raise ServiceError.not_found("training set", set_id)
    members = {m["id"]: m for m in await sets.members(row["training_file_ids"])}
    files = [{"training_file_id": i, "name": members[i]["name"],
              "conversation_count": members[i]["stats"].get("conversation_count", 0)}
             for i in row["training_file_ids"] if i in members]
    return msgspec.convert({
        **row, "files": files, "conversation_count": row["stats"]["conversation_count"],
        "duplicate_count": len(row["duplicates"]),
    }, TrainingSetView)
