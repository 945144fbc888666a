"""Spot-interruption recovery on the local provider (UJ4.1.1): detection latency, time to
resume and work lost per interruption, over injected SIGTERM/SIGKILL reclaims.

    python benchmarks/recovery.py [--jobs 7] [--interruptions 3] [--parallel 3] [--signals …]

Each job trains the tiny model and is interrupted at random steps by the provider's fault
injection; figures come from the jobs' event logs (the trainer's own clock and the services'):
- detection: the injected signal → the job's status `recovering`
- time to resume: the signal → the first step the new instance trains
- work lost: steps the interrupted instance had reported beyond the checkpoint resumed from
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx

from libs.common.ports import free_port
from services.cli.stack import Stack

SAMPLE = Path(__file__).resolve().parents[1] / "services/cli/samples/financial-advisory-sample.json"
CHECKPOINT_EVERY = 5
TINY_MODEL = {"name": "tiny-random-llama", "parameter_count": 3_000_000}  # as tests/e2e/journey.py


def run_job(api: str, file_id: str, n: int, interruptions: int, given: list[str]) -> str:
    signals = given or (["sigterm", "sigkill"] if n % 2 else ["sigkill", "sigterm"])
    with httpx.Client(base_url=api, timeout=30) as client:
        job = client.post("/jobs", json={
            "training_file_id": file_id, "model": TINY_MODEL, "tags": ["test"],
            "fault_injection": {"random_interruptions": interruptions, "signals": signals,
                                "grace_s": 30, "seed": n},
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 40,
                          "checkpoint_every_steps": CHECKPOINT_EVERY}}).json()
        while (status := client.get(f"/jobs/{job['id']}").json()["status"]) not in (
                "completed", "failed"):
            time.sleep(1.0)
        print(f"job {n}: {status}", flush=True)
        time.sleep(3.0)  # monitoring settles its log
        return job["id"]


def _at(event: dict) -> datetime:
    return datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))


def measure(log: list[dict]) -> list[dict]:
    """One row per injected interruption, from a job's event log."""
    rows = []
    for fault in (e for e in log if e["kind"] == "interruption"):
        attempt = fault["payload"]["attempt"]
        recovering = next(e for e in log if e["kind"] == "status" and _at(e) >= _at(fault)
                          and e["payload"]["status"] == "recovering")
        resumed = next((e for e in log if e["kind"] == "progress"
                        and e["payload"]["attempt"] == attempt + 1), None)
        restored = next((e for e in log if e["kind"] == "stage"
                         and e["payload"]["attempt"] == attempt + 1
                         and e["payload"]["stage"] == "training"), None)
        if resumed is None or restored is None:
            # The next attempt trained no step: it was itself reclaimed before its first one
            # (or nothing was left), so this interruption has no time-to-resume of its own.
            print(f"interruption at step {fault['payload'].get('step')} of attempt {attempt}: "
                  "the next attempt trained no step; not counted", flush=True)
            continue
        reached = max(e["payload"]["step"] for e in log if e["kind"] == "progress"
                      and e["payload"]["attempt"] == attempt)
        rows.append({
            "signal": fault["payload"]["signal"],
            "detection_s": (_at(recovering) - _at(fault)).total_seconds(),
            "resume_s": (_at(resumed) - _at(fault)).total_seconds(),
            "lost": reached - (restored["payload"]["resumed_from_step"] or 0),
        })
    return rows


def report(rows: list[dict]) -> None:
    def line(name: str, values: list[float], unit: str) -> None:
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"  {name:<24} median {statistics.median(values):6.2f}{unit}  p95 {p95:6.2f}{unit}"
              f"  max {values[-1]:6.2f}{unit}")

    print(f"\n{len(rows)} injected interruptions (checkpoint every {CHECKPOINT_EVERY} steps)")
    for signal in ("sigterm", "sigkill", "sigstop", None):
        chosen = [r for r in rows if signal is None or r["signal"] == signal]
        if not chosen:
            continue
        print(f"{signal or 'all'} ({len(chosen)}):")
        line("detection latency", [r["detection_s"] for r in chosen], " s")
        line("time to resume", [r["resume_s"] for r in chosen], " s")
        line("work lost", [float(r["lost"]) for r in chosen], " steps")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--jobs", type=int, default=7)
    args.add_argument("--interruptions", type=int, default=3)
    args.add_argument("--parallel", type=int, default=3)
    args.add_argument("--signals", nargs="*", default=[], choices=["sigterm", "sigkill", "sigstop"],
                      help="default: SIGTERM and SIGKILL alternating; sigstop: a hung instance, "
                           "found by heartbeat loss")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state), durable=False)
        settings = stack.up({"BRIGHTRUN_ALLOW_FAULT_INJECTION": "1"}, gateway_port=free_port())
        api = f"{settings.gateway_url}/api/v1"
        try:
            with httpx.Client(base_url=api, timeout=30) as client:
                file_id = client.post("/training-files", files={
                    "file": ("sample.json", SAMPLE.read_bytes(), "application/json")}).json()["id"]
                with ThreadPoolExecutor(opts.parallel) as pool:
                    ids = list(pool.map(lambda n: run_job(api, file_id, n, opts.interruptions,
                                                          opts.signals), range(opts.jobs)))
                rows = [row for job_id in ids for row in measure(client.get(
                    f"/jobs/{job_id}/events", params={"per_page": 500}).json()["events"])]
        finally:
            stack.down()
    report(rows)


if __name__ == "__main__":
    main()
