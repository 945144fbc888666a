"""Fixtures for the trainer tests: a model cache for the session, the tokenizer, tiny jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A session cache unless the developer points BRIGHTRUN_MODEL_CACHE at a warm one
    (converting the embedded GGUF tokenizer costs ~5 s, the model ~20 s)."""
    given = os.environ.get("BRIGHTRUN_MODEL_CACHE")
    path = Path(given) if given else tmp_path_factory.mktemp("models")
    os.environ["BRIGHTRUN_MODEL_CACHE"] = str(path)
    yield path
    if not given:
        del os.environ["BRIGHTRUN_MODEL_CACHE"]


@pytest.fixture(scope="session")
def tokenizer(model_cache: Path) -> Any:
    from proto.training import ModelRef
    from trainer import model

    return model.load_tokenizer(model.tokenizer_source(ModelRef(name=model.TINY)))
