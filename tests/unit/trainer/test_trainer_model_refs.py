"""Model refs: a random full-size shape is named from a known list, never guessed."""

from __future__ import annotations

import pytest

from proto.training import ModelRef
from trainer import model


def test_an_unknown_random_shape_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="random:llama-3.2-1b"):
        model.weights_source(ModelRef(name="random:llama-99b"))


def test_random_shapes_use_the_embedded_tokenizer() -> None:
    assert model.tokenizer_source(ModelRef(name="random:llama-3.1-8b")) == \
        model.tokenizer_source(ModelRef(name="tiny-random-llama"))
