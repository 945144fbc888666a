"""Packaging handlers: build a finished job's artifacts, answer what exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

UnitOfWork = Callable[[], Any]
