"""What one decoder layer keeps for backward per token: the probe against the estimator (issue 3).

trainer.activations' probe measures it on a model (the tensors autograd saves between two
sequence lengths, per layer); libs.common.memory.saved_per_layer_token estimates it from the
shape. This builds 2-layer Llamas with random weights on the CPU (fp32, LoRA r=8, dropout
0.05), moving one dimension at a time, and prints both.

    python benchmarks/layer_probe.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# (hidden, MLP width, attention heads, key/value heads, LoRA modules)
SHAPES = [(128, 256, 4, 4, ALL), (128, 448, 4, 4, ALL), (128, 640, 4, 4, ALL),
          (256, 512, 4, 4, ALL), (256, 896, 4, 4, ALL), (128, 448, 8, 2, ALL),
          (128, 448, 4, 4, ALL[:6]), (128, 448, 4, 4, ["q_proj", "v_proj"]),
          (576, 1536, 9, 3, ALL), (64, 128, 4, 4, ALL)]


def main() -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from proto.training import LoraSettings
    from trainer import activations, model

    print(f"{'hidden':>6} {'MLP':>5} {'kv':>4} {'LoRA':>4} {'probe':>8} {'estimate':>9}  error")
    for hidden, mlp, heads, kv_heads, modules in SHAPES:
        config = LlamaConfig(vocab_size=1000, hidden_size=hidden, intermediate_size=mlp,
                             num_hidden_layers=2, num_attention_heads=heads,
                             num_key_value_heads=kv_heads, max_position_embeddings=4096)
        torch.manual_seed(0)
        lora = model.attach_lora(LlamaForCausalLM(config), LoraSettings(
            r=8, alpha=16, dropout=0.05, target_modules=modules), 1, "cpu", False)
        probe = activations.saved_bytes_per_layer_token(lora, "cpu")
        estimate = activations.estimated_bytes_per_layer_token(lora)
        kv = kv_heads * hidden // heads
        print(f"{hidden:>6} {mlp:>5} {kv:>4} {len(modules):>4} {probe:>8,} {estimate:>9,}  "
              f"{estimate / probe - 1:+.1%}")


if __name__ == "__main__":
    main()
