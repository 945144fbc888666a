"""Which format a file is, decided by its content: extensions are often wrong.

Files run to 50 MB, so the happy path is one msgspec decode; Python's slower json module runs
only after a failure, to tell the user the line and column.
"""

import json
from collections.abc import Iterator
from typing import Any

import msgspec

from .alpaca import is_alpaca, parse_alpaca
from .brightrun import parse_aggregated, parse_conversation, parse_jsonl
from .errors import (
    describe,
    empty_file,
    invalid_encoding,
    invalid_json,
    rejected_json,
    unknown_format,
)
from .generator_raw import is_generator_raw, parse_generator_raw
from .model import TrainingFile
from .openai_chat import parse_openai_chat
from .sharegpt import is_sharegpt, parse_sharegpt

_BOM = b"\xef\xbb\xbf"
# msgspec raises UnicodeDecodeError (a ValueError) for bad UTF-8 inside strings.
_DECODE_FAILURES = (msgspec.MsgspecError, ValueError, RecursionError)
_JSONL = object()  # marks content that is one JSON value per line rather than one document
# Formats written one conversation per row, as JSONL or as a JSON list, and their parsers.
_ROW_PARSERS = {"openai-chat": parse_openai_chat, "sharegpt": parse_sharegpt,
                "alpaca": parse_alpaca, "brightrun-raw": parse_generator_raw}


def parse_training_file(data: bytes, filename: str) -> TrainingFile:
    """Parse any supported training file; raise TrainingFormatError saying what to fix."""
    data = data.removeprefix(_BOM)  # editors on Windows add one; it is not content
    if not data.strip():
        raise empty_file(filename)
    document = _decode_document(data, filename)
    if document is _JSONL:
        return _parse_rows(_decode_lines(data, filename), filename)
    return _parse_document(document, filename)


def _decode_document(data: bytes, filename: str) -> Any:
    try:
        return msgspec.json.decode(data)
    except _DECODE_FAILURES as exc:
        reason = str(exc)
    if _first_line_is_object(data):
        return _JSONL
    raise _locate(data, filename, reason)


def _first_line_is_object(data: bytes) -> bool:
    for _, line in _lines(data):
        try:
            return isinstance(msgspec.json.decode(line), dict)
        except _DECODE_FAILURES:
            return False
    return False


def _decode_lines(data: bytes, filename: str) -> list[tuple[int, Any]]:
    rows = []
    for number, line in _lines(data):
        try:
            rows.append((number, msgspec.json.decode(line)))
        except _DECODE_FAILURES as exc:
            raise _locate(line, filename, str(exc), jsonl_line=number) from None
    return rows


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers, without copying the whole file at once."""
    start, number = 0, 1
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end == -1 else end
        if data[start:end].strip():
            yield number, data[start:end]
        start, number = end + 1, number + 1


def _locate(data: bytes, filename: str, reason: str, jsonl_line: int | None = None) -> Exception:
    """Re-decode with the stdlib to find the line and column of a syntax error."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return invalid_encoding(filename, data, exc, jsonl_line)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return invalid_json(filename, text, exc, jsonl_line)
    except (ValueError, RecursionError):
        pass  # too long a number or too deep a nesting: msgspec's reason says it
    return rejected_json(filename, data, reason, jsonl_line)


def _parse_document(document: Any, filename: str) -> TrainingFile:
    if isinstance(document, dict):
        if is_sharegpt(document):  # one ShareGPT conversation also has "conversations"
            return _parse_rows([(1, document)], filename)
        if "training_file_metadata" in document or "conversations" in document:
            return parse_aggregated(document)
        if "training_pairs" in document or "dataset_metadata" in document:
            return parse_conversation(document, filename)
        if is_generator_raw(document):  # the generator writes one conversation per file
            return parse_generator_raw([(1, document)], "The file")
        if _row_format(document):  # a one-line JSONL file is also a JSON document
            return _parse_rows([(1, document)], filename)
        reason = "it has none of the fields a training file starts with."
        raise unknown_format(filename, reason, {"found_keys": sorted(document)[:20]})
    if isinstance(document, list):
        first = document[0] if document else None
        if isinstance(first, dict) and _row_format(first) in _ROW_PARSERS:
            return _parse_rows(list(enumerate(document, 1)), filename, unit="Entry")
        raise unknown_format(filename, "it is a JSON list, but not of ShareGPT, Alpaca, OpenAI "
                             "chat or Bright Run conversations (a training file is a JSON object, "
                             "or one object per line in a .jsonl file).", {})
    raise unknown_format(filename, f"it holds a single value ({describe(document)}).", {})


def _parse_rows(rows: list[tuple[int, Any]], filename: str, unit: str = "Line") -> TrainingFile:
    """Rows of one format, decided by the first: lines of a .jsonl file or entries of a list."""
    line, first = rows[0]
    kind = _row_format(first) if isinstance(first, dict) else None
    if kind in _ROW_PARSERS:
        return _ROW_PARSERS[kind](rows, unit)
    if kind == "brightrun-jsonl":
        return parse_jsonl(rows, filename)
    found = sorted(first)[:20] if isinstance(first, dict) else []
    reason = (f"line {line} is neither a Bright Run _meta line, a training pair, a Bright Run "
              'conversation with turns, nor an OpenAI {"messages": [...]}, ShareGPT '
              '{"conversations": [...]} or Alpaca {"instruction", "output"} line.')
    raise unknown_format(filename, reason, {"line": line, "found_keys": found})


def _row_format(row: dict[str, Any]) -> str | None:
    if "_meta" in row or "current_user_input" in row or "target_response" in row:
        return "brightrun-jsonl"
    if "messages" in row:
        return "openai-chat"
    if is_sharegpt(row):
        return "sharegpt"
    if is_generator_raw(row):
        return "brightrun-raw"
    return "alpaca" if is_alpaca(row) else None
