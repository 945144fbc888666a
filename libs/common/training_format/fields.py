"""Reading decoded JSON values with errors that say where in the file a value is wrong.

What training needs (pairs, texts, the containers holding them) is checked strictly; what is
only informational (scores, names) is read leniently and becomes None when unusable, because
a file must not be refused for a malformed score.
"""

import math
from typing import Any

from .errors import missing_field, wrong_entry, wrong_type


def require_dict(value: object, where: str, details: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise wrong_entry(where, "an object", value, details)
    return value


def require_list(obj: dict[str, Any], key: str, where: str, details: dict[str, Any]) -> list:
    if key not in obj:
        raise missing_field(where, key, details)
    value = obj[key]
    if not isinstance(value, list):
        raise wrong_type(where, key, "a list", value, details)
    return value


def dict_or_empty(
    obj: dict[str, Any], key: str, where: str, details: dict[str, Any]
) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise wrong_type(where, key, "an object", value, details)
    return value


def required_text_or_null(
    obj: dict[str, Any], key: str, where: str, details: dict[str, Any]
) -> str | None:
    """The key must be present; its value is text or null."""
    if key not in obj:
        raise missing_field(where, key, details)
    value = obj[key]
    if value is not None and not isinstance(value, str):
        raise wrong_type(where, key, "text or null", value, details)
    return value


def text_or_empty(obj: dict[str, Any], key: str, where: str, details: dict[str, Any]) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise wrong_type(where, key, "text", value, details)
    return value


def opt_text(value: object) -> str | None:
    """Identifiers and names: text, or a number written without quotes."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def opt_score(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
