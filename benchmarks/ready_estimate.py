"""How close "Ready to train"'s estimated step time (a timed forward pass × 3 × passes a step,
trainer/progress.py) comes to the step time the run then measures, and how many progress
events preprocessing sent (UJ2.2.1, UJ2.3.2).

Runs the real trainer (`python -m trainer run`) on the sample file with a file:// webhook and
reads its events back. Prints figures; asserts nothing.

    python benchmarks/ready_estimate.py                                    # tiny model, CPU
    python benchmarks/ready_estimate.py --model embedded:smollm2-135m-instruct --steps 6
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "services" / "cli" / "samples" / "financial-advisory-sample.json"


def run(model: str, steps: int, micro_batch: int, accumulation: int, work: Path) -> Path:
    store = work / "store"
    (store / "files").mkdir(parents=True)
    (store / "files" / "train.json").write_bytes(SAMPLE.read_bytes())
    spec = {"job_id": str(uuid.uuid4()), "model": {"name": model},
            "hyperparameters": {"epochs": 1, "max_steps": steps, "micro_batch_size": micro_batch,
                                "grad_accumulation": accumulation, "max_seq_len": 512,
                                "checkpoint_every_steps": 1000},
            "training_file_key": "files/train.json", "output_prefix": "jobs/bench",
            "storage": {"url": store.as_uri()}, "webhook_url": (work / "events.jsonl").as_uri(),
            "webhook_secret": "bench", "heartbeat_s": 5.0}
    (work / "spec.json").write_text(json.dumps(spec))
    subprocess.run([sys.executable, "-m", "trainer", "run", "--spec", str(work / "spec.json")],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return work / "events.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny-random-llama")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--micro-batch", type=int, default=2)
    parser.add_argument("--accumulation", type=int, default=2)
    args = parser.parse_args()
    from proto.training import Completed, Progress, StageChanged
    from trainer.report import read_events

    with tempfile.TemporaryDirectory(prefix="ready-estimate-") as tmp:
        started = time.perf_counter()
        events = read_events(run(args.model, args.steps, args.micro_batch, args.accumulation,
                                 Path(tmp)))
        wall = time.perf_counter() - started
    ready = next(e.ready for e in events if isinstance(e, StageChanged) and e.ready)
    done = next(e for e in events if isinstance(e, Completed))
    steps = [e for e in events if isinstance(e, Progress)]
    ticks = [e for e in events if isinstance(e, StageChanged) and e.stage == "preprocessing"
             and e.progress]
    measured = done.train_runtime_s / max(1, done.steps)
    past_first = [(b.occurred_at - a.occurred_at).total_seconds()
                  for a, b in zip(steps, steps[1:], strict=False)]
    print(f"model {args.model}, {done.steps} steps of {args.micro_batch}×{args.accumulation} "
          f"sequences, run wall {wall:.1f} s")
    print(f"preprocessing: {len(ticks)} progress events for {ticks[-1].progress.total} examples")
    print(f"ready: estimated step time {ready.step_time_s:.3f} s ({ready.step_time_basis}), "
          f"expected training {ready.expected_training_s:.1f} s for {ready.steps_left} steps")
    print(f"measured: {measured:.3f} s a step over the run (train_runtime_s / steps)"
          + (f", {sum(past_first) / len(past_first):.3f} s between Progress events past step 1"
             if past_first else ""))
    print(f"estimate / measured: {ready.step_time_s / measured:.2f}")


if __name__ == "__main__":
    main()
