"""The brand-voice rubric (UJ5.2.4): ten characteristics, and the things the voice avoids.

No I/O. The default is built from the training file's `consultant_profile`: its core principles
first, then its communication techniques, cut at ten; a profile with fewer is topped up from
GENERIC below, and its `avoid` list is scored as violations. An uploaded rubric must have
exactly ten distinct characteristics.
"""

from __future__ import annotations

from typing import Any

from proto.api import ServiceError
from proto.validation import Rubric, RubricCharacteristic

RUBRIC_SIZE = 10

# The documented generic list: what any client-facing advisory voice is held to. Used, in this
# order, only to fill places the profile leaves empty.
GENERIC: tuple[tuple[str, str], ...] = (
    ("Warmth & Empathy", "Acknowledges the client's feelings before the facts."),
    ("Clarity", "Plain language; any necessary term is explained."),
    ("Directness", "Answers the question asked, without hedging or filler."),
    ("Education-First", "Explains why, so the client can decide for themselves."),
    ("Specificity", "Uses the client's own situation and numbers, not generalities."),
    ("Non-judgement", "No blame or shame about past decisions."),
    ("Balanced options", "Offers choices with honest trade-offs rather than orders."),
    ("Risk honesty", "Names real risks; no false reassurance or guarantees."),
    ("Actionable next step", "Ends with a concrete step the client can take soon."),
    ("Professional boundaries", "Refers to a specialist where advice needs one."),
)


def _texts(value: Any) -> list[str]:
    """Strings from a profile field that may be a list, a dict of numbered items or a string."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _short_name(text: str) -> str:
    """A characteristic's name: the principle up to its first colon or full stop, or 80 chars."""
    for stop in (":", ". "):
        head = text.split(stop, 1)[0].strip()
        if 0 < len(head) < len(text):
            text = head
            break
    return text if len(text) <= 80 else text[:77].rstrip() + "…"


def default_rubric(profile: dict[str, Any] | None) -> Rubric:
    profile = profile or {}
    style = profile.get("communication_style") or {}
    chosen: list[RubricCharacteristic] = []
    for text in [*_texts(profile.get("core_philosophy")), *_texts(style.get("techniques"))]:
        name = _short_name(text)
        if name.casefold() not in {c.name.casefold() for c in chosen}:
            chosen.append(RubricCharacteristic(name=name, description=text))
    from_profile = len(chosen[:RUBRIC_SIZE])
    for name, description in GENERIC:
        if len(chosen) >= RUBRIC_SIZE:
            break
        if name.casefold() not in {c.name.casefold() for c in chosen}:
            chosen.append(RubricCharacteristic(name=name, description=description))
    owner = profile.get("name")
    return Rubric(
        name=f"{owner}'s voice" if owner else "Generic advisory voice",
        source="consultant_profile" if from_profile else "generic",
        characteristics=chosen[:RUBRIC_SIZE], avoid=_texts(style.get("avoid")))


def check_uploaded(characteristics: list[RubricCharacteristic]) -> None:
    """Raise a 422 unless there are exactly ten characteristics with distinct names."""
    names = [c.name.strip().casefold() for c in characteristics]
    duplicates = sorted({c.name for c in characteristics
                         if names.count(c.name.strip().casefold()) > 1})
    if len(characteristics) == RUBRIC_SIZE and not duplicates:
        return
    raise ServiceError(
        "invalid_rubric",
        f"A rubric needs exactly {RUBRIC_SIZE} distinct characteristics; this one has "
        f"{len(set(names))} distinct of {len(characteristics)}.",
        f"Send {RUBRIC_SIZE} characteristics, each with its own name"
        + (f"; rename or remove the duplicates: {', '.join(duplicates)}." if duplicates else "."),
        {"count": len(characteristics), "distinct": len(set(names)), "duplicates": duplicates},
        422)
