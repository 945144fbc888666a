"""The one error a training file can raise, and how each kind of defect is told to the user.

The gateway turns a TrainingFormatError into `{"error": {code, message, how_to_fix, details}}`
(DESIGN.md); messages are written for the person who uploaded the file, not for a developer.
"""

import json
import re
from typing import Any

SNIPPET_WIDTH = 120
_UPLOAD_AGAIN = "then upload the file again."


class TrainingFormatError(Exception):
    """What is wrong with a training file, where, and how to fix it."""

    def __init__(
        self, code: str, message: str, how_to_fix: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.how_to_fix = how_to_fix
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "how_to_fix": self.how_to_fix,
            "details": self.details,
        }


def empty_file(filename: str) -> TrainingFormatError:
    return TrainingFormatError(
        "empty_file",
        f"{filename} is empty.",
        f"Export the training file again from the conversation generator, {_UPLOAD_AGAIN}",
    )


def unknown_format(filename: str, reason: str, details: dict[str, Any]) -> TrainingFormatError:
    return TrainingFormatError(
        "unknown_format",
        f"{filename} is not a training file we recognise: {reason}",
        "Upload a Bright Run training file (.json with training_file_metadata and "
        "conversations, or an enriched conversation file with dataset_metadata and "
        'training_pairs), a Bright Run .jsonl file, a generator conversation '
        '({"conversation_metadata", "turns"}), or conversations as a JSON list or one per line '
        'in OpenAI chat ({"messages": [...]}), ShareGPT ({"conversations": [{"from", "value"}]}) '
        'or Alpaca ({"instruction", "input", "output"}) form.',
        details,
    )


def missing_field(where: str, field: str, details: dict[str, Any]) -> TrainingFormatError:
    fixes = {
        "target_response": 'add "target_response" to it (use null for a turn that is context '
        "only), ",
        "current_user_input": 'add the client\'s message as "current_user_input", ',
    }
    fix = fixes.get(field, f'add the "{field}" field, ')
    return TrainingFormatError(
        "missing_field",
        f'{where} has no "{field}" field.',
        f"Open the file, find {where[0].lower()}{where[1:]}, {fix}{_UPLOAD_AGAIN}",
        {**details, "field": field},
    )


def wrong_type(
    where: str, field: str, expected: str, value: object, details: dict[str, Any]
) -> TrainingFormatError:
    return TrainingFormatError(
        "wrong_type",
        f'In {where[0].lower()}{where[1:]}, "{field}" should be {expected} but is '
        f"{describe(value)}.",
        f'Change "{field}" there to {expected}, {_UPLOAD_AGAIN}',
        {**details, "field": field, "expected": expected, "found": describe(value)},
    )


def wrong_entry(
    where: str, expected: str, value: object, details: dict[str, Any]
) -> TrainingFormatError:
    """A whole entry (a conversation, a pair, a line) is not the kind of value it must be."""
    return TrainingFormatError(
        "wrong_type",
        f"{where} should be {expected} but is {describe(value)}.",
        f"Make {where[0].lower()}{where[1:]} {expected}, {_UPLOAD_AGAIN}",
        {**details, "expected": expected, "found": describe(value)},
    )


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def invalid_encoding(
    filename: str, data: bytes, exc: UnicodeDecodeError, jsonl_line: int | None = None
) -> TrainingFormatError:
    """`data` is the file, or for JSONL the line numbered `jsonl_line`."""
    line, column = _line_column(data, exc.start)
    line = jsonl_line or line
    return TrainingFormatError(
        "invalid_encoding",
        f"{filename} is not UTF-8 text: the character at line {line}, column {column} "
        "cannot be read.",
        f"Save the file with UTF-8 encoding (most editors offer this under Save As), "
        f"{_UPLOAD_AGAIN}",
        {"line": line, "column": column},
    )


# The stdlib's messages name the parser's expectation; users need to know what to look for.
_PLAIN_REASONS = {
    "Expecting ',' delimiter": "where a comma or a closing bracket should be",
    "Expecting ':' delimiter": "where a colon should separate a field name from its value",
    "Expecting value": "where a value should be (often a trailing comma or a missing quote)",
    "Expecting property name enclosed in double quotes": "where a field name in double "
    "quotes should be (often a trailing comma before a closing brace)",
    "Unterminated string": "inside text that is missing its closing double quote",
    "Invalid control character": "inside text: a raw line break or tab must be written as "
    "\\n or \\t",
    "Invalid \\escape": "inside text: a backslash must be written as \\\\",
    "Extra data": "after the end of the JSON document",
}


def invalid_json(
    filename: str, text: str, exc: json.JSONDecodeError, jsonl_line: int | None = None
) -> TrainingFormatError:
    """Locate a syntax error for a person with a text editor: line, column and a caret snippet.

    For JSONL, `text` is the bad line alone and `jsonl_line` its line number in the file.
    """
    line = jsonl_line if jsonl_line is not None else exc.lineno
    reason = next((p for k, p in _PLAIN_REASONS.items() if exc.msg.startswith(k)), exc.msg)
    unit = "file" if jsonl_line is None else "line"
    found = _character(text[exc.pos]) if exc.pos < len(text) else f"the end of the {unit}"
    place = f"line {line}, column {exc.colno}"
    rule = "" if jsonl_line is None else "In a .jsonl file each line is one complete JSON object. "
    return TrainingFormatError(
        "invalid_json",
        f"{filename} is not valid JSON at {place}: found {found} {reason}.",
        f"{rule}Open the file in a text editor, go to {place} (marked ^ in the snippet) and fix "
        f"the text there, for example remove a stray character or add a missing comma, "
        f"{_UPLOAD_AGAIN}",
        {"line": line, "column": exc.colno, "snippet": snippet(text, exc.lineno, exc.colno)},
    )


_BYTE_OFFSET = re.compile(r"\(byte (\d+)\)")


def rejected_json(
    filename: str, data: bytes, reason: str, jsonl_line: int | None = None
) -> TrainingFormatError:
    """JSON that Python's lenient parser accepts but the JSON standard does not (NaN, ...).

    `reason` is msgspec's message, which gives the byte offset where it stopped.
    """
    plain = _plain_rejection(reason)
    details: dict[str, Any] = {"reason": plain}
    where = ""
    offset = _BYTE_OFFSET.search(reason)
    if offset and int(offset.group(1)) <= len(data):
        line, column = _line_column(data, int(offset.group(1)))
        text = data.decode("utf-8", errors="replace")
        details.update(line=jsonl_line or line, column=column, snippet=snippet(text, line, column))
        where = f" at line {jsonl_line or line}, column {column}"
    elif jsonl_line is not None:
        details["line"] = jsonl_line
        where = f" at line {jsonl_line}"
    return TrainingFormatError(
        "invalid_json",
        f"{filename} is not valid JSON{where}: {plain}.",
        "Replace values JSON does not allow (NaN, Infinity, numbers with more than 19 digits, "
        f"broken escape sequences) with null or plain numbers/text, {_UPLOAD_AGAIN}",
        details,
    )


# msgspec's wording for what the stdlib tolerates or cannot locate, said for a person.
_REJECTIONS = {
    "maximum recursion depth": "lists or objects are nested thousands of levels deep",
    "Input data was truncated": "the file ends too early, or holds an escape sequence JSON "
    "does not allow (such as a lone \\ud800)",
    "Integer value out of range": "a number is too large",
    "invalid character": "a value JSON does not allow (such as NaN or Infinity) appears",
}


def _plain_rejection(reason: str) -> str:
    return next((plain for key, plain in _REJECTIONS.items() if key in reason),
                _BYTE_OFFSET.sub("", reason).replace("JSON is malformed: ", "").strip())


def snippet(text: str, line: int, column: int) -> str:
    """The offending line, trimmed around the column, with a caret under the column."""
    lines = text.split("\n")
    source = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    start = max(0, min(column - 1 - SNIPPET_WIDTH // 2, len(source) - SNIPPET_WIDTH))
    end = min(len(source), start + SNIPPET_WIDTH)
    before = "…" if start > 0 else ""
    after = "…" if end < len(source) else ""
    shown = before + source[start:end]
    caret_at = column - 1 - start + len(before)
    # Keep tabs so the caret lines up in any editor or terminal that renders the snippet.
    pad = "".join("\t" if ch == "\t" else " " for ch in shown[:caret_at])
    return f"{shown}{after}\n{pad}{' ' * max(0, caret_at - len(shown))}^"


def _character(char: str) -> str:
    names = {"\n": "a line break", "\r": "a line break", "\t": "a tab", " ": "a space"}
    if char in names:
        return names[char]
    return f'"{char}"' if char.isprintable() else f"the invisible character U+{ord(char):04X}"


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column
