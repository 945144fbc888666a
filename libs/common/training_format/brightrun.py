"""The three brightrun-lora-v4 layouts: aggregated, single-conversation (enriched) and JSONL."""

from pathlib import PurePath
from typing import Any

from .claims import claim, summary_claims, turn_claims
from .fields import dict_or_empty, opt_text, require_dict, require_list
from .model import Conversation, TrainingFile, TrainingPair
from .pairs import first_conversation_id, pair_conversation_metadata, parse_pair, scaffolding_from

_FILE = "The file"


def parse_aggregated(document: dict[str, Any]) -> TrainingFile:
    """Spec section 1: training_file_metadata, consultant_profile, conversations[]."""
    metadata = dict_or_empty(document, "training_file_metadata", _FILE, {})
    raw_conversations = require_list(document, "conversations", _FILE, {})
    conversations = [_aggregated_conversation(raw, n) for n, raw in
                     enumerate(raw_conversations, 1)]
    return TrainingFile(
        format="brightrun-aggregated",
        metadata=metadata,
        consultant_profile=_profile(document),
        conversations=conversations,
        claims=summary_claims(metadata, "training_file_metadata", conversations)
        + turn_claims(conversations),
    )


def _aggregated_conversation(raw: object, number: int) -> Conversation:
    where = f"Conversation {number}"
    at: dict[str, Any] = {"conversation_number": number}
    raw = require_dict(raw, where, at)
    metadata = dict_or_empty(raw, "conversation_metadata", where, at)
    raw_pairs = require_list(raw, "training_pairs", where, at)
    named = opt_text(metadata.get("conversation_id")) or first_conversation_id(raw_pairs)
    conversation_id = named or f"conversation-{number}"
    at["conversation_id"] = conversation_id
    scaffolding = dict_or_empty(metadata, "scaffolding", where, at)
    return Conversation(
        conversation_id=conversation_id,
        metadata=metadata,
        scaffolding=scaffolding_from(scaffolding, pair_conversation_metadata(raw_pairs)),
        quality_tier=opt_text(metadata.get("quality_tier")),
        pairs=_pairs(raw_pairs, f"in conversation {number}", at, conversation_id),
        id_from_file=named is not None,
    )


def parse_conversation(document: dict[str, Any], filename: str) -> TrainingFile:
    """Spec section 3: one enriched conversation; its scaffolding lives in input_parameters."""
    metadata = dict_or_empty(document, "dataset_metadata", _FILE, {})
    parameters = dict_or_empty(document, "input_parameters", _FILE, {})
    raw_pairs = require_list(document, "training_pairs", _FILE, {})
    named = first_conversation_id(raw_pairs) or opt_text(parameters.get("conversation_id"))
    conversation_id = named or PurePath(filename).stem
    conversation = Conversation(
        conversation_id=conversation_id,
        metadata=parameters,
        scaffolding=scaffolding_from(parameters, pair_conversation_metadata(raw_pairs)),
        quality_tier=opt_text(metadata.get("quality_tier")),
        pairs=_pairs(raw_pairs, "in the file", {}, conversation_id),
        id_from_file=named is not None,
    )
    return TrainingFile(
        format="brightrun-conversation",
        metadata=metadata,
        consultant_profile=_profile(document),
        conversations=[conversation],
        claims=claim(metadata, "total_turns", "dataset_metadata.total_turns",
                     "training pairs", len(conversation.pairs)),
    )


def parse_jsonl(rows: list[tuple[int, Any]], filename: str) -> TrainingFile:
    """Spec section 4: a {"_meta": ...} line, then one pair per line, grouped by conversation."""
    metadata: dict[str, Any] | None = None
    grouped: dict[str, list[tuple[TrainingPair, dict[str, Any]]]] = {}
    unassigned = PurePath(filename).stem  # pairs that name no conversation share one
    for line, value in rows:
        at = {"line": line}
        row = require_dict(value, f"Line {line}", at)
        if "_meta" in row:
            # A later _meta line comes from concatenated files; the first one describes the file.
            if metadata is None:
                metadata = dict_or_empty(row, "_meta", f"Line {line}", at)
            continue
        conversation_id = opt_text(row.get("conversation_id")) or unassigned
        entries = grouped.setdefault(conversation_id, [])
        pair = parse_pair(row, unnamed="The pair", context=f"on line {line}", details=at,
                          default_conversation_id=conversation_id,
                          default_turn=len(entries) + 1)
        entries.append((pair, row))
    conversations = [_jsonl_conversation(cid, entries) for cid, entries in grouped.items()]
    return TrainingFile(
        format="brightrun-jsonl",
        metadata=metadata or {},
        consultant_profile=None,
        conversations=conversations,
        claims=summary_claims(metadata or {}, "_meta", conversations),
    )


def _jsonl_conversation(
    conversation_id: str, entries: list[tuple[TrainingPair, dict[str, Any]]]
) -> Conversation:
    metadata = pair_conversation_metadata([row for _, row in entries])
    return Conversation(
        conversation_id=conversation_id,
        metadata=metadata,
        scaffolding=scaffolding_from(metadata),
        quality_tier=opt_text(metadata.get("quality_tier")),
        pairs=[pair for pair, _ in entries],
        # Pairs naming no conversation are grouped under the file's name, which is no id.
        id_from_file=any(opt_text(row.get("conversation_id")) for _, row in entries),
    )


def _pairs(
    raw_pairs: list, context: str, details: dict[str, Any], conversation_id: str
) -> list[TrainingPair]:
    return [
        parse_pair(raw, unnamed=f"Pair {n}", context=context,
                   details={**details, "pair_number": n},
                   default_conversation_id=conversation_id, default_turn=n)
        for n, raw in enumerate(raw_pairs, 1)
    ]


def _profile(document: dict[str, Any]) -> dict[str, Any] | None:
    return dict_or_empty(document, "consultant_profile", _FILE, {}) or None
