"""Durations in the words users read in messages."""

from __future__ import annotations


def duration_words(seconds: float) -> str:
    """300 → "5 minutes", 3600 → "1 hour": the spec's words, whatever the settings."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"
