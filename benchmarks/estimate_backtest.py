"""Back-test of the duration estimate (issue 5): real local trainer jobs, leave-one-out refit.

Runs N jobs of varied sizes (conversations, turns, epochs, batch, accumulation, sequence length)
on the tiny random Llama on the CPU, each a real `python -m trainer run` process timed from start
to exit (what an instance bills). Then, for each job, the time model is re-fitted from the other
N-1 jobs (services/cost/timemodel.py) and the job's estimate (services/cost/domain.py) compared
with its real duration. Prints the share within ±15%, for the seed model and the refit, by wall
time (what this box took, other people's load included) and by the trainer's CPU time.

    .venv/bin/python benchmarks/estimate_backtest.py --jobs 30
    .venv/bin/python benchmarks/estimate_backtest.py --from-json /tmp/backtest.json   # re-analyse
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "unit" / "trainer")]

from libs.common.training_format import parse_training_file  # noqa: E402
from proto.cost import EstimateRequest  # noqa: E402
from proto.gpu import GPU_TYPES  # noqa: E402
from proto.jobs import HyperparameterOverrides  # noqa: E402
from services.cost import domain, timemodel  # noqa: E402
from services.jobs.training_file_stats import compute_stats  # noqa: E402

PARAMETERS = 3_300_000  # what trainer_testkit.make_job declares for the tiny random Llama


def configs(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"conversations": rng.choice([4, 8, 12, 16]), "turns": rng.choice([3, 5]),
             "target_words": rng.choice([8, 16, 32]), "epochs": rng.choice([1, 2]),
             "micro_batch_size": rng.choice([1, 2, 4]), "grad_accumulation": rng.choice([1, 2]),
             "max_seq_len": rng.choice([128, 256])} for _ in range(n)]


def request(cfg: dict, data: bytes) -> EstimateRequest:
    stats = compute_stats(parse_training_file(data, "train.json"))
    return EstimateRequest(
        estimated_tokens=stats.estimated_tokens, usable_pairs=stats.usable_pair_count,
        overrides=HyperparameterOverrides(
            epochs=cfg["epochs"], micro_batch_size=cfg["micro_batch_size"],
            grad_accumulation=cfg["grad_accumulation"], max_seq_len=cfg["max_seq_len"], r=8),
        gpu_type="cpu", model_parameter_count=PARAMETERS)


def run_job(cfg: dict, work: Path) -> dict:
    import msgspec
    import trainer_testkit as kit

    from proto.training import Completed

    data = kit.training_file(cfg["conversations"], cfg["turns"], cfg["target_words"])
    spec = kit.make_job(work, data, epochs=cfg["epochs"], micro_batch_size=cfg["micro_batch_size"],
                        grad_accumulation=cfg["grad_accumulation"], max_seq_len=cfg["max_seq_len"],
                        checkpoint_every_steps=50)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = kit.run(spec, timeout=600)
    duration = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done = [e for e in kit.events(work) if isinstance(e, Completed)]
    if result.returncode != 0 or not done:
        raise RuntimeError(f"trainer failed for {cfg}: {result.stdout[-2000:]}")
    return {"config": cfg, "request": msgspec.to_builtins(request(cfg, data)),
            "duration_s": duration, "cpu_s": cpu_s, "train_runtime_s": done[0].train_runtime_s,
            "steps": done[0].steps, "tokens_trained": done[0].tokens_trained}


def observation(job: dict, measure: str) -> tuple[timemodel.Observation, EstimateRequest]:
    import msgspec

    req = msgspec.convert(job["request"], EstimateRequest)
    est = domain.estimate(req)
    seed_s = domain.seed_seconds(GPU_TYPES["cpu"], est.tokens_to_train, PARAMETERS)
    return timemodel.Observation("cpu", timemodel.size_class(PARAMETERS), seed_s,
                                 job[measure]), req


def predicted(req: EstimateRequest, corrections: dict) -> float:
    est = domain.estimate(req, corrections)
    return (est.duration_s_low + est.duration_s_high) / 2  # the centre of the ±15% range


def report(jobs: list[dict], measure: str) -> None:
    pairs = [observation(j, measure) for j in jobs]
    overheads = {name: g.overhead_s for name, g in GPU_TYPES.items()}
    seed_err, refit_err = [], []
    for i, (obs, req) in enumerate(pairs):
        others = [o for k, (o, _) in enumerate(pairs) if k != i]
        corrections = timemodel.fit_all(others, overheads)
        seed_err.append(abs(predicted(req, {}) - obs.duration_s) / obs.duration_s)
        refit_err.append(abs(predicted(req, corrections) - obs.duration_s) / obs.duration_s)
    durations = [j[measure] for j in jobs]
    print(f"{len(jobs)} jobs, {measure}: {min(durations):.1f}-{max(durations):.1f} s "
          f"(median {statistics.median(durations):.1f} s)")
    for name, errs in (("seed model", seed_err), ("refit, leave-one-out", refit_err)):
        within = sum(e <= 0.15 for e in errs)
        print(f"{name:22s} within ±15%: {within}/{len(errs)} = {100 * within / len(errs):.0f}%  "
              f"median |error| {100 * statistics.median(errs):.1f}%  "
              f"worst {100 * max(errs):.1f}%")
    full = timemodel.fit_all([o for o, _ in pairs], overheads)
    for key, c in full.items():
        print(f"fitted {key}: duration = {c.intercept_s:.2f} s + {c.slope:.3f} × seed_s "
              f"({c.jobs} jobs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "backtest.json"))
    parser.add_argument("--from-json", help="analyse jobs recorded by an earlier run")
    args = parser.parse_args()
    if args.from_json:
        jobs = json.loads(Path(args.from_json).read_text())
    else:
        jobs = []
        for i, cfg in enumerate(configs(args.jobs, args.seed)):
            with tempfile.TemporaryDirectory() as tmp:
                jobs.append(run_job(cfg, Path(tmp)))
            print(f"job {i + 1}/{args.jobs}: {jobs[-1]['duration_s']:.1f} s, "
                  f"{jobs[-1]['steps']} steps", flush=True)
            Path(args.out).write_text(json.dumps(jobs))  # keep what ran if interrupted
    report(jobs, "duration_s")
    if all("cpu_s" in j for j in jobs):
        # The box is shared: wall time swings with other people's load. CPU time is what the
        # job itself used, a stand-in for the wall time of a dedicated instance.
        report(jobs, "cpu_s")


if __name__ == "__main__":
    main()
