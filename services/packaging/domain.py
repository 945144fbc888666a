"""Packaging rules (no I/O): what the artifacts of a job are and what goes in them."""

from __future__ import annotations
