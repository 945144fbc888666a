"""The parameter count of the model a job really loads (issue 15), from its config."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from libs.common.model_size import BUILT_IN, model_size, shape_from_config
from proto.cost import EstimateRequest
from proto.training import ModelRef
from services.cost import domain
from trainer import model as trainer_model


def test_the_tiny_random_llama_counts_as_many_parameters_as_the_trainer_builds():
    config = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                         tie_word_embeddings=True)
    with torch.device("meta"):  # shapes only: no weights allocated
        built = LlamaForCausalLM(config)
    counted = model_size(ModelRef(name="tiny-random-llama", parameter_count=70_000_000_000))
    assert counted.verified and counted.parameter_count == trainer_model.parameter_count(built)


def test_random_shapes_follow_the_trainers_configs_and_their_published_sizes():
    for name, (hidden, inter, layers, heads, kv, vocab, tied) in trainer_model.RANDOM_SHAPES.items():
        shape = BUILT_IN[f"random:{name}"]
        assert (shape.hidden, shape.intermediate, shape.layers, shape.heads, shape.kv_heads,
                shape.vocab, shape.tied) == (hidden, inter, layers, heads, kv, vocab, tied)
    # Meta's model cards: 1.23 B, 3.21 B, 8.03 B; SmolLM2's: 135 M
    assert round(BUILT_IN["random:llama-3.2-1b"].parameters() / 1e7) == 124
    assert round(BUILT_IN["random:llama-3.1-8b"].parameters() / 1e7) == 803
    assert round(BUILT_IN["embedded:smollm2-135m-instruct"].parameters() / 1e6) == 135


def test_a_config_json_is_counted_and_a_hub_id_is_declared_with_a_note():
    config = {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
              "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
              "tie_word_embeddings": True}
    assert shape_from_config(config) == BUILT_IN["random:llama-3.2-1b"]
    hub = model_size(ModelRef(name="someone/unreadable-7b", parameter_count=7_000_000_000))
    assert not hub.verified and hub.parameter_count == 7_000_000_000
    assert "7,000,000,000 parameters" in hub.note and "not read from its config" in hub.note


def test_the_estimate_uses_the_real_count_not_the_declared_one():
    request = dict(estimated_tokens=60_000, usable_pairs=200, gpu_type="H100-80GB")
    declared_huge = EstimateRequest(**request, model_name="tiny-random-llama",
                                    model_parameter_count=70_000_000_000)
    honest = EstimateRequest(**request, model_parameter_count=3_227_968)
    size = model_size(ModelRef(name="tiny-random-llama", parameter_count=70_000_000_000))
    lied = domain.estimate(declared_huge, {}, size)
    assert lied == domain.estimate(honest)
    hub = EstimateRequest(**request, model_name="someone/unreadable-7b",
                          model_parameter_count=7_000_000_000)
    hub_size = model_size(ModelRef(name=hub.model_name, parameter_count=7_000_000_000))
    assert hub_size.note in domain.estimate(hub, {}, hub_size).warnings
