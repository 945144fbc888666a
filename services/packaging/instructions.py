"""Deployment instructions (UJ6.2.2), generated per job (no I/O): the package's README.md and the
console's tabs are the same sections.

GPU requirements come from the trainer's memory estimator (libs/common/memory.py): its weights
figures at 16 and 4 bit, the adapter's size from its LoRA parameter count, plus a KV cache for
one sequence of the job's max_seq_len and the CUDA runtime.
"""

from __future__ import annotations

import msgspec

from libs.common.memory import GIB, estimate_training_memory, shape_for
from services.packaging.domain import TrainingSummary

# Inference GPUs people rent, with the memory a process can use (public specifications).
GPUS: tuple[tuple[str, float], ...] = (
    ("NVIDIA T4 (16 GB)", 15.0), ("NVIDIA L4 (24 GB)", 22.0), ("NVIDIA A10G (24 GB)", 22.0),
    ("NVIDIA L40S (48 GB)", 44.9), ("NVIDIA A100 (40 GB)", 39.4), ("NVIDIA A100 (80 GB)", 79.1),
    ("NVIDIA H100 (80 GB)", 79.6),
)
HEADROOM = 1.2  # batching, longer prompts and allocator slack beyond one sequence
CUDA_RUNTIME_BYTES = int(0.75 * GIB)  # the estimator's CUDA context + allocator figure


class GpuNeeds(msgspec.Struct, frozen=True, kw_only=True):
    bytes_16bit: int
    bytes_4bit: int
    context_tokens: int
    recommended_16bit: list[str]
    recommended_4bit: list[str]


def gpu_needs(parameter_count: int, lora_r: int, target_modules: list[str],
              context_tokens: int) -> GpuNeeds:
    def weights(quantization: str) -> tuple[int, int]:
        e = estimate_training_memory(parameter_count=parameter_count, quantization=quantization,
                                     lora_r=lora_r, micro_batch_size=1, max_seq_len=context_tokens,
                                     device="cuda", target_modules=target_modules)
        return e.weights_bytes, e.adapter_bytes // 16 * 2  # adapter: bf16 weights, no optimizer

    shape = shape_for(parameter_count)
    kv_cache = 2 * shape.layers * shape.kv_width * context_tokens * 2
    totals = [sum(weights(q)) + kv_cache + CUDA_RUNTIME_BYTES for q in ("none", "nf4")]
    return GpuNeeds(bytes_16bit=totals[0], bytes_4bit=totals[1], context_tokens=context_tokens,
                    recommended_16bit=_fitting(totals[0]), recommended_4bit=_fitting(totals[1]))


def _fitting(needed: int) -> list[str]:
    fits = [name for name, gib in GPUS if gib * GIB >= needed * HEADROOM]
    return fits[:3] or ["no single GPU: shard the base model over several (vLLM --tensor-parallel-size)"]


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def sections(s: TrainingSummary, needs: GpuNeeds) -> list[tuple[str, str, str]]:
    """(key, title, markdown) per tab, in reading order."""
    base, lora = s.base_model.name_or_path, s.configuration["lora"]
    name = "brightrun-adapter"
    local_note = "" if s.base_model.on_hub else (
        f"\n> **Base model:** {s.base_model.note} Every `{base}` below stands for that copy.\n")
    return [
        ("quick-start", "Local quick start", f"""{local_note}
```bash
unzip {_zip(s)} -d {name} && cd {name}
python3 -m venv .venv && . .venv/bin/activate   # Python 3.11 or newer
pip install -r requirements.txt
python inference.py "How should I start saving for retirement?"
```

The first run downloads `{base}` from the Hugging Face hub. To use a copy you already have:

```bash
export BRIGHTRUN_BASE_MODEL_PATH=/models/{base.rsplit('/', 1)[-1]}
python inference.py "How should I start saving for retirement?"
```

`python inference.py --no-adapter "..."` answers with the base model alone, to compare.
On a CPU-only machine, `pip install -r requirements.txt --extra-index-url https://download.pytorch.org/whl/cpu`
gets the smaller CPU build of torch.

An OpenAI-compatible server, so existing OpenAI code works unchanged:

```bash
python inference.py --serve --port 8000
```

```python
from openai import OpenAI
client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
reply = client.chat.completions.create(model="{name}", messages=[{{"role": "user", "content": "Hello"}}])
print(reply.choices[0].message.content)
```
"""),
        ("gpu", "GPU requirements", f"""Estimated by Bright Run's memory estimator for `{base}`
({s.configuration['model']['parameter_count']:,} parameters, LoRA r={lora['r']}), one sequence of
{needs.context_tokens:,} tokens (the job's max_seq_len) plus the CUDA runtime:

| precision | VRAM needed | GPUs that fit with {int((HEADROOM - 1) * 100)}% headroom |
| --- | --- | --- |
| 16-bit (bf16/fp16) | {_gib(needs.bytes_16bit)} | {', '.join(needs.recommended_16bit)} |
| 4-bit (NF4, bitsandbytes) | {_gib(needs.bytes_4bit)} | {', '.join(needs.recommended_4bit)} |

These are estimates; batching many requests needs more for the KV cache. A CPU runs it too,
slowly, with about the 16-bit figure in RAM (float32 doubles the weights).
"""),
        ("vllm", "Serve with vLLM", f"""vLLM applies LoRA adapters at request time:

```bash
pip install vllm
vllm serve {base} --enable-lora --max-lora-rank {max(lora['r'], 8)} \\
    --lora-modules {name}=./adapters --port 8000
```

Ask for the adapter by its name; `model="{base}"` answers without it:

```python
from openai import OpenAI
client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
print(client.chat.completions.create(model="{name}",
      messages=[{{"role": "user", "content": "Hello"}}]).choices[0].message.content)
```
"""),
        ("tgi", "Serve with TGI", f"""Text Generation Inference loads LoRA adapters at start-up:

```bash
docker run --gpus all -p 8080:80 -v $PWD/adapters:/data/adapters \\
    ghcr.io/huggingface/text-generation-inference:latest \\
    --model-id {base} --lora-adapters {name}=/data/adapters
```

```bash
curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{{"model": "{name}", "messages": [{{"role": "user", "content": "Hello"}}]}}'
```
"""),
        ("cloud", "AWS, GCP, Azure", f"""Any VM with a GPU from the table runs the package as in the quick
start; open only the port you serve on, behind your own authentication.

**AWS** (EC2, Deep Learning AMI, {needs.recommended_16bit[0]} class, e.g. `g5.xlarge` A10G 24 GB):

```bash
aws ec2 run-instances --instance-type g5.xlarge --image-id <deep-learning-ami-id> --key-name <key>
scp {_zip(s)} ubuntu@<host>:~ && ssh ubuntu@<host>
unzip {_zip(s)} -d {name} && cd {name} && pip install -r requirements.txt
python inference.py --serve --host 0.0.0.0 --port 8000
```

**GCP** (Compute Engine `g2-standard-4`, one L4 24 GB):

```bash
gcloud compute instances create {name} --machine-type g2-standard-4 --zone us-central1-a \\
    --image-family pytorch-latest-gpu --image-project deeplearning-platform-release \\
    --maintenance-policy TERMINATE --metadata install-nvidia-driver=True
gcloud compute scp {_zip(s)} {name}: && gcloud compute ssh {name}
```

**Azure** (`Standard_NV36ads_A10_v5`, A10 24 GB, or `Standard_NC4as_T4_v3`, T4 16 GB):

```bash
az vm create -g <group> -n {name} --size Standard_NV36ads_A10_v5 \\
    --image microsoft-dsvm:ubuntu-hpc:2204:latest --admin-username azureuser --generate-ssh-keys
```

Then as on AWS: copy the zip, `pip install -r requirements.txt`, `python inference.py --serve --host 0.0.0.0`.
"""),
        ("integration", "Existing pipelines", f"""Load the adapter into a transformers + peft pipeline:

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("{base}")
model = AutoModelForCausalLM.from_pretrained("{base}", dtype="auto", device_map="auto")
model = PeftModel.from_pretrained(model, "adapters")
ids = tokenizer.apply_chat_template([{{"role": "user", "content": "Hello"}}],
                                    add_generation_prompt=True, return_tensors="pt", return_dict=True)
out = model.generate(**ids.to(model.device), max_new_tokens=256)
print(tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
```

For one set of weights with no peft at run time, merge once and save:

```python
merged = model.merge_and_unload()
merged.save_pretrained("merged-model"); tokenizer.save_pretrained("merged-model")
```
"""),
        ("troubleshooting", "Troubleshooting", f"""- **`OSError: ... is not a valid model identifier`**: no access to the hub. Download
  `{base}` elsewhere and set `BRIGHTRUN_BASE_MODEL_PATH` to it.
- **`CUDA out of memory`**: see GPU requirements; load in 4-bit (`BitsAndBytesConfig(load_in_4bit=True)`)
  or use a larger GPU.
- **Slow answers on a CPU**: expected; lower `--max-new-tokens`, or use a GPU.
- **`pip` cannot find a torch version**: use Python 3.11+; on CPU-only machines add
  `--extra-index-url https://download.pytorch.org/whl/cpu`.
- **vLLM refuses the adapter**: raise `--max-lora-rank` to at least {lora['r']}.
- **Answers look like the base model's**: check that the adapter loaded (`--no-adapter` shows the
  difference) and that you asked for `{name}`, not the base model, on vLLM/TGI.
"""),
    ]


def _zip(s: TrainingSummary) -> str:
    from services.packaging.domain import filename

    return filename(s.job_name, "deployment-package")


def readme(s: TrainingSummary, needs: GpuNeeds) -> str:
    parts = [f"# {s.job_name}: deployment package", "",
             f"A LoRA adapter for `{s.base_model.name_or_path}` fine-tuned with Bright Run, with "
             "everything to run it. Validation: " + s.validation.headline + ".", "",
             "| file | what |", "| --- | --- |",
             "| `adapters/` | adapter_model.safetensors, adapter_config.json, model card |",
             "| `inference.py` | one answer, or an OpenAI-compatible server (`--serve`) |",
             "| `requirements.txt` | exact versions: torch, transformers, peft, accelerate, safetensors |",
             "| `example_prompts.json` | 10 prompts from held-out conversations |",
             "| `training_summary.json` | metrics, configuration, data statistics |",
             "| `validation_summary.json` | the validation results |", ""]
    for _, title, body in sections(s, needs):
        parts += [f"## {title}", "", body.strip(), ""]
    return "\n".join(parts)
