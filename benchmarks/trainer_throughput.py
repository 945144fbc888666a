"""Our trainer against a plain Hugging Face `Trainer` + `peft`, side by side (issue 3).

Same data (the sample file, prepared once by trainer.data: chat template, target-only labels,
truncation), same base model, same LoRA config, same micro-batch, accumulation, learning rate
and number of optimizer steps, same hardware. Each side runs in its own child process, so its
peak memory (ru_maxrss: model load included, the same for both) is its own.

Tokens/s counts target tokens (the ones that carry loss) each side trained, over the training
loop's wall time: our conversation-prefix packing computes fewer input tokens for the same
targets, so input tokens would flatter the baseline. Input tokens/s is printed too. Each rate
is given over every step and past the first (the ratio's headline): a process's first step
carries its warm-up (on CUDA, kernels loaded on first use: seconds on a machine whose disk
cache is cold), which our side may already have paid in its memory probe, before its clock.

    python benchmarks/trainer_throughput.py                       # SmolLM2-135M, CPU
    python benchmarks/trainer_throughput.py --model tiny-random-llama --steps 20
    python benchmarks/trainer_throughput.py --model random:llama-3.2-1b   # CUDA: QLoRA, 1.2 B
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "services" / "cli" / "samples" / "financial-advisory-sample.json"
LORA = {"r": 16, "alpha": 32, "dropout": 0.05}
SEED = 42


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="embedded:smollm2-135m-instruct")
    parser.add_argument("--quantization", default="auto", choices=["auto", "none", "nf4"])
    parser.add_argument("--steps", type=int, default=8,
                        help="optimizer steps a side runs (at least 2: rates are also past step 1)")
    parser.add_argument("--micro-batch", type=int, default=4)
    parser.add_argument("--grad-accumulation", type=int, default=2)
    parser.add_argument("--max-seq-len", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per side")
    parser.add_argument("--checkpointing", default="auto", choices=["auto", "all", "none"],
                        help="ours: gradient checkpointing on as few layers as memory needs "
                             "(auto), on every layer, or none")
    parser.add_argument("--rows-per-pass", type=int,
                        help="sequences per forward pass of ours (default: the trainer's choice)")
    parser.add_argument("--profile", metavar="PATH",
                        help="ours: write a profile of the second step's operators to PATH")
    parser.add_argument("--uncapped", action="store_true",
                        help="ours: plan for the device's free memory, not the baseline's peak")
    parser.add_argument("--memory-cap", type=int, help=argparse.SUPPRESS)  # bytes, from main()
    parser.add_argument("--side", choices=["ours", "baseline", "weights"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error("--steps must be at least 2")
    return args


# --- shared by both sides -----------------------------------------------------------------------


def spec_for(args: argparse.Namespace) -> Any:
    import msgspec

    from proto.training import TrainingJobSpec

    return msgspec.convert({
        "job_id": "00000000-0000-0000-0000-000000000000",
        "model": {"name": args.model, "quantization": args.quantization},
        "lora": LORA,
        "hyperparameters": {"micro_batch_size": args.micro_batch, "epochs": 1,
                            "grad_accumulation": args.grad_accumulation, "seed": SEED,
                            "max_seq_len": args.max_seq_len, "learning_rate": 2e-4},
        "training_file_key": "sample.json", "output_prefix": "bench",
        "storage": {"url": "file:///tmp"}, "webhook_url": "file:///dev/null",
        "webhook_secret": "bench"}, TrainingJobSpec)


def prepared_data(spec: Any) -> tuple[Any, Any]:
    from libs.common.training_format import iter_examples, parse_training_file
    from trainer import data, model

    pairs = list(iter_examples(parse_training_file(SAMPLE.read_bytes(), SAMPLE.name)))
    tokenizer = model.load_tokenizer(model.tokenizer_source(spec.model))
    return tokenizer, data.prepare(pairs, tokenizer, spec.hyperparameters.max_seq_len, SEED)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_bytes(device: str) -> int:
    import torch

    return torch.cuda.max_memory_allocated() if device == "cuda" else peak_rss_bytes()


def in_use_bytes(device: str) -> int:
    """What the process holds now (model loaded): the part of a memory cap already spent."""
    import torch

    if device == "cuda":
        return torch.cuda.memory_allocated()
    import psutil  # not on the GPU box's bare image

    return psutil.Process().memory_info().rss


def footprint_bytes(device: str) -> int:
    """What the run took from the device at its peak, the figure an OOM is about: on CUDA the
    allocator's peak reservation plus what lies outside it (context, cuBLAS/bnb workspaces)."""
    import torch

    if device != "cuda":
        return peak_rss_bytes()
    free, total = torch.cuda.mem_get_info()
    outside = total - free - torch.cuda.memory_reserved()
    return torch.cuda.max_memory_reserved() + outside


# --- our trainer --------------------------------------------------------------------------------


def run_ours(args: argparse.Namespace) -> dict[str, Any]:
    from trainer import activations, loop, model, packing
    from trainer.batching import pass_sizes, plan_epoch, step_groups
    from trainer.checkpoint import TrainerState

    spec = spec_for(args)
    tokenizer, prepared = prepared_data(spec)
    prepared = packing.packed(prepared)
    on = model.device()
    nf4 = model.use_nf4(spec.model, on)
    base = model.load_base(model.weights_source(spec.model), tokenizer, on, nf4)
    peft_model = model.attach_lora(base, spec.lora, SEED, on, nf4)
    sizes = [args.rows_per_pass] if args.rows_per_pass else \
        pass_sizes(args.micro_batch, args.grad_accumulation, on)
    # "At no more memory": by default ours may plan for what the baseline took, no more.
    budget = args.memory_cap - in_use_bytes(on) if args.memory_cap else None
    fitted = activations.plan(peft_model, on, examples=prepared.train, sizes=sizes,
                              mode=args.checkpointing, budget_bytes=budget)
    params = model.trainable_parameters(peft_model)
    optimizer = loop.make_optimizer(params, spec)
    run = loop.Run(spec=spec, model=peft_model, optimizer=optimizer,
                   scheduler=loop.make_scheduler(optimizer, spec, args.steps), data=prepared,
                   state=TrainerState(rows_per_pass=fitted.rows_per_pass), reporter=None,
                   store=None, stop=loop.StopFlag(), device=on,
                   pad_id=tokenizer.pad_token_id, total_steps=args.steps, capped=True)
    lengths = [len(e.input_ids) for e in prepared.train]
    groups = [group for epoch in range(args.steps)  # as many epochs as the steps need
              for group in step_groups(plan_epoch(lengths, args.micro_batch, SEED, epoch),
                                       args.grad_accumulation)][:args.steps]
    peft_model.train()
    tokens, targets, losses = 0, 0, []
    started = time.perf_counter()
    for n, group in enumerate(groups):
        with profiled(args.profile if n == 1 else None, on):  # step 2: past the first's warm-up
            loss, _, _, seen = loop.train_step(run, group)
        run.state.step += 1
        tokens, losses = tokens + seen, [*losses, loss]
        targets += sum(prepared.train[i].target_count for batch in group for i in batch)
        if n == 0:
            after_first = clock(on), tokens, targets
    ended = clock(on)
    peak, footprint = peak_bytes(on), footprint_bytes(on)  # before the probe below adds its own
    return {"tokens": tokens, "targets": targets, "seconds": ended - started, "steps": len(losses),
            "past_first": past_first(after_first, (ended, tokens, targets)), "loss": losses[-1],
            "peak_bytes": peak, "device": on, "footprint_bytes": footprint,
            "parameters": base.num_parameters(), "checkpointed": fitted.checkpointed,
            "plan": fitted.describe(), "rows_per_pass": run.state.rows_per_pass,
            "saved_per_layer_token": {
                "probe": activations.saved_bytes_per_layer_token(peft_model, on),
                "formula": activations.estimated_bytes_per_layer_token(peft_model)},
            "shape": dataclasses.asdict(activations.model_shape(base.config))}


def clock(device: str) -> float:
    """Now, once the device has done what it was given."""
    if device == "cuda":
        import torch

        torch.cuda.synchronize()
    return time.perf_counter()


def past_first(first: tuple[float, int, int], last: tuple[float, int, int]) -> dict[str, float]:
    """The run past its first step: (time, tokens, targets) when it ended, and at the end."""
    (t0, tokens0, targets0), (t1, tokens1, targets1) = first, last
    return {"seconds": t1 - t0, "tokens": tokens1 - tokens0, "targets": targets1 - targets0}


@contextlib.contextmanager
def profiled(path: str | None, on: str) -> Iterator[None]:
    """Profile what runs inside into `path`: the operators by host time and by device time. Where
    the host's total outgrows the device's, launching kernels, not running them, sets the pace."""
    if not path:
        yield
        return
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on == "cuda" else [])
    with profile(activities=activities) as prof:
        yield
    table = prof.key_averages()
    sorts = ["self_cpu_time_total"] + (["self_device_time_total"] if on == "cuda" else [])
    Path(path).write_text("\n\n".join(table.table(sort_by=key, row_limit=40) for key in sorts))


# --- the baseline: Trainer + peft as their docs show them ---------------------------------------


def run_baseline(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        BitsAndBytesConfig,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from trainer import model

    spec = spec_for(args)
    tokenizer, prepared = prepared_data(spec)
    on = model.device()
    nf4 = model.use_nf4(spec.model, on)
    source = model.weights_source(spec.model)
    if source is None:
        base = model.load_base(None, tokenizer, on, False)  # the tiny Llama is built from a config
    elif nf4:
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                   bnb_4bit_compute_dtype=torch.bfloat16,
                                   bnb_4bit_use_double_quant=True)
        base = AutoModelForCausalLM.from_pretrained(source, quantization_config=quant,
                                                    dtype=torch.bfloat16, device_map={"": 0})
    else:
        base = AutoModelForCausalLM.from_pretrained(
            source, dtype=torch.bfloat16 if on == "cuda" else torch.float32).to(on)
    if on == "cuda":
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        base.enable_input_require_grads()
    peft_model = get_peft_model(base, LoraConfig(
        r=LORA["r"], lora_alpha=LORA["alpha"], lora_dropout=LORA["dropout"],
        target_modules=list(spec.lora.target_modules), task_type="CAUSAL_LM"))
    rows = [{"input_ids": e.input_ids, "labels": e.labels,
             "attention_mask": [1] * len(e.input_ids)} for e in prepared.train]
    counted: dict[str, Any] = {"tokens": 0, "targets": 0}

    class Counting(Trainer):
        """Counts what each micro-batch trains on as it trains (the data loader reads ahead)."""

        def training_step(self, model: Any, inputs: dict[str, Any], *rest: Any) -> Any:
            counted["tokens"] += int(inputs["attention_mask"].sum())
            counted["targets"] += int((inputs["labels"] != -100).sum())
            return super().training_step(model, inputs, *rest)

    class Clock(TrainerCallback):
        def on_train_begin(self, *a: Any, **k: Any) -> None:
            counted.update(tokens=0, targets=0, started=clock(on))

        def on_step_end(self, _: Any, state: Any, *a: Any, **k: Any) -> None:
            if state.global_step == 1:
                counted["first"] = clock(on), counted["tokens"], counted["targets"]

        def on_train_end(self, *a: Any, **k: Any) -> None:
            counted["ended"] = clock(on)

    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=args.micro_batch,
            gradient_accumulation_steps=args.grad_accumulation, max_steps=args.steps,
            learning_rate=2e-4, lr_scheduler_type="cosine", warmup_steps=math.ceil(0.03 * args.steps),
            max_grad_norm=1.0, seed=SEED, bf16=on == "cuda", use_cpu=on != "cuda",
            save_strategy="no", eval_strategy="no", logging_steps=args.steps,
            report_to=[], remove_unused_columns=False, dataloader_num_workers=0,
            disable_tqdm=True)
        trainer = Counting(model=peft_model, args=training_args, train_dataset=rows,
                           data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True,
                                                                label_pad_token_id=-100),
                           callbacks=[Clock()])
        result = trainer.train()
    last = counted["ended"], counted["tokens"], counted["targets"]
    return {"tokens": counted["tokens"], "targets": counted["targets"],
            "seconds": counted["ended"] - counted["started"], "steps": args.steps,
            "past_first": past_first(counted["first"], last), "loss": result.training_loss,
            "peak_bytes": peak_bytes(on), "device": on}


def cache_weights(args: argparse.Namespace) -> dict[str, Any]:
    from trainer import model

    return {"weights": str(model.weights_source(spec_for(args).model))}


# --- the comparison -----------------------------------------------------------------------------


def child(side: str, argv: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *argv, "--side", side],
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the {side} run failed ({done.returncode}):\n{done.stderr[-6000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.side:
        result = {"ours": run_ours, "baseline": run_baseline, "weights": cache_weights}[args.side]
        print(json.dumps(result(args)), flush=True)
        return
    argv = sys.argv[1:]
    # A random model is built (on the device) and cached here, not inside the first side timed:
    # the build would otherwise set that side's peak memory, and the cap ours runs under.
    child("weights", argv)
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "ours": []}
    for _ in range(args.rounds):
        runs["baseline"].append(child("baseline", argv))
        cap = [] if args.uncapped else ["--memory-cap", str(runs["baseline"][-1]["peak_bytes"])]
        runs["ours"].append(child("ours", [*argv, *cap]))
    print(f"model {args.model} ({runs['ours'][0]['parameters'] / 1e9:.2f} B parameters), "
          f"{args.steps} steps × micro-batch {args.micro_batch} × "
          f"accumulation {args.grad_accumulation}, max length {args.max_seq_len}, "
          f"LoRA r={LORA['r']}, device {runs['ours'][0]['device']}, {args.rounds} round(s); "
          f"ours checkpointed {[r['checkpointed'] for r in runs['ours']]} of "
          f"{runs['ours'][0]['shape']['layers']} layers ({args.checkpointing}, "
          f"{runs['ours'][0]['rows_per_pass']} sequence(s) a pass, "
          f"{'uncapped' if args.uncapped else 'capped at the baseline peak'})")
    for side, results in runs.items():
        peak = max(r["peak_bytes"] for r in results)
        print(f"  {side:<9} peak memory {peak / 2**20:7.0f} MiB   last loss "
              f"{results[-1]['loss']:.3f}   {sum(r['seconds'] for r in results) / len(results):.1f}"
              f" s per run")
        for label, parts in (("every step", results), ("past step 1", past(results))):
            rounds = [r["targets"] / r["seconds"] for r in parts]
            print(f"    {label:<12} {rate(parts):8.1f} target tokens/s "
                  f"{rate(parts, 'tokens'):8.1f} input tokens/s"
                  + (f"   rounds: {', '.join(f'{x:.1f}' for x in rounds)}"
                     if len(rounds) > 1 else ""))  # the median hides the spread
    ratio = {label: rate(pick(runs["ours"])) / rate(pick(runs["baseline"]))
             for label, pick in (("past step 1", past), ("every step", list))}
    memory = max(r["peak_bytes"] for r in runs["ours"]) / max(
        r["peak_bytes"] for r in runs["baseline"])
    print(f"  ratio     {ratio['past step 1']:.2f}x target tokens/s past step 1 "
          f"({ratio['every step']:.2f}x over every step), {memory:.2f}x peak memory "
          f"(ours / baseline)")
    plans = (f"  ours: {r['plan']}; a layer keeps {r['saved_per_layer_token']['probe']:,} bytes "
             f"a token for backward, measured (estimator: {r['saved_per_layer_token']['formula']:,})"
             for r in runs["ours"])
    print("\n".join(dict.fromkeys(plans)))  # one line per distinct plan
    estimate = memory_estimate(args, runs["ours"][0])
    footprint = max(r["footprint_bytes"] for r in runs["ours"])
    print(f"  memory estimator: {estimate / 2**20:.0f} MiB for this config; measured footprint "
          f"(ours) {footprint / 2**20:.0f} MiB: error {estimate / footprint - 1:+.0%}")


def past(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["past_first"] for r in results]


def rate(results: list[dict[str, Any]], counted: str = "targets") -> float:
    """Median target (or input) tokens/s over the rounds."""
    return statistics.median(r[counted] / r["seconds"] for r in results)


def memory_estimate(args: argparse.Namespace, ours: dict[str, Any]) -> int:
    """What the estimator predicts for this config, given the model's real size and shape."""
    from libs.common.memory import ModelShape, estimate_training_memory

    return estimate_training_memory(
        parameter_count=ours["parameters"], quantization=args.quantization,
        lora_r=LORA["r"], micro_batch_size=args.micro_batch, max_seq_len=args.max_seq_len,
        device=ours["device"], target_modules=list(spec_for(args).lora.target_modules),
        checkpointed_layers=ours["checkpointed"],
        shape=ModelShape(**ours["shape"])).total_bytes


if __name__ == "__main__":
    main()
