"""Wall time of each validation suite (issue 12) on the embedded SmolLM2-135M, on this CPU.

Runs the trainer's own suite functions (trainer/validation) on the demo's sample training file,
prepared as the demo's job prepares it (max_seq_len 1024, seed 42), with a fresh LoRA adapter
attached: an untrained adapter answers as the base model does, and costs what a trained one
costs. Perplexity runs both passes here; after training a job runs only the base one (the
trained figure is the loop's last evaluation), so a job's perplexity takes about half. Prints
seconds per suite for each plan asked for, the scenarios and questions measured,
and the torch thread count (compare runs only at the same one; other work on the box counts).

    .venv/bin/python benchmarks/validation_suites.py                      # demo-sized plan
    .venv/bin/python benchmarks/validation_suites.py --plan demo --plan default
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from libs.common.training_format import iter_examples, parse_training_file  # noqa: E402
from proto.training import LoraSettings, ModelRef  # noqa: E402
from proto.validation import SUITES, ValidationPlan  # noqa: E402
from trainer import data, model, packing  # noqa: E402
from trainer.validation import runner  # noqa: E402
from trainer.validation.context import Context  # noqa: E402

SAMPLE = ROOT / "services" / "cli" / "samples" / "financial-advisory-sample.json"
PLANS = {
    "demo": ValidationPlan(ei_scenarios=10, brand_voice_answers=10, max_new_tokens=96),
    "default": ValidationPlan(),
}
MAX_SEQ_LEN, SEED = 1024, 42  # services/cli/demo.CPU_OVERRIDES, the Balanced preset's seed


def build_context(plan: ValidationPlan, started: float) -> Context:
    ref = ModelRef()  # embedded:smollm2-135m-instruct
    training_file = parse_training_file(SAMPLE.read_bytes(), SAMPLE.name)
    pairs = list(iter_examples(training_file))
    tokenizer = model.load_tokenizer(model.tokenizer_source(ref))
    prepared = packing.packed(data.prepare(pairs, tokenizer, MAX_SEQ_LEN, SEED))
    base = model.load_base(model.weights_source(ref), tokenizer, "cpu", False)
    peft_model = model.attach_lora(base, LoraSettings(), SEED, "cpu", False)
    return Context(model=peft_model, tokenizer=tokenizer, device="cpu", plan=plan,
                   max_seq_len=MAX_SEQ_LEN, val=prepared.val,
                   held_out=data.split_by_conversation(pairs, SEED)[1],
                   consultant_profile=training_file.consultant_profile,
                   progress=lambda d: print(f"  {time.monotonic() - started:7.1f}s  {d}",
                                            flush=True))


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_plan(name: str, plan: ValidationPlan) -> dict[str, tuple[float, float]]:
    started = time.monotonic()
    ctx = build_context(plan, started)
    ctx.model.eval()
    print(f"plan {name}: {plan.ei_scenarios} EI scenarios, {plan.brand_voice_answers} brand-voice "
          f"answers, max_new_tokens {plan.max_new_tokens}; {len(ctx.held_out)} held-out pairs, "
          f"{len(ctx.val)} held-out sequences; model ready in {time.monotonic() - started:.1f}s",
          flush=True)
    times = {}
    for suite in SUITES:
        t0, c0 = time.monotonic(), cpu_s()
        detail = runner.MEASURES[suite](ctx)
        times[suite] = (time.monotonic() - t0, cpu_s() - c0)
        size = len(getattr(detail, "scenarios", getattr(detail, "questions", [])))
        print(f"  {suite:<24} {times[suite][0]:7.1f} s wall, {times[suite][1]:7.1f} s CPU  "
              f"({size or detail.examples} items)", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", action="append", choices=sorted(PLANS))
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    results = {name: run_plan(name, PLANS[name]) for name in args.plan or ["demo"]}
    # CPU seconds over the thread count: what the suite would take on a box doing nothing else.
    threads = torch.get_num_threads()
    print(f"\nseconds per suite (embedded SmolLM2-135M, CPU, {threads} threads): wall "
          f"[CPU time / {threads}]")
    print(f"{'plan':<10}" + "".join(f"{s[:16]:>22}" for s in SUITES) + f"{'total':>22}")
    for name, times in results.items():
        cells = [*(times[s] for s in SUITES), tuple(map(sum, zip(*times.values(), strict=True)))]
        print(f"{name:<10}" + "".join(f"{w:12.1f} [{c / threads:6.1f}]" for w, c in cells))


if __name__ == "__main__":
    main()
