"""Report generation time (UJ5.3.1: "PDF is ready for download in <30 seconds") and PDF size.

Renders the validation report the packaging service's worker renders (charts as SVG, the HTML
preview, the share dashboard and the PDF: services/packaging/report/render.py), 10 times each
for two jobs: the demo's shape (a short CPU run) and a job with 2,000 metric points. Both carry
every validation suite at full size (50 EI scenarios with their examples, 100 retention
questions with 8 regressed, 10 brand-voice characteristics), so the PDF has all its sections.

The figures are the render alone: gathering the data is five RPCs answered in milliseconds on
the embedded stack (the integration tests exercise that path). The data is synthetic in shape
only; its size is what matters for the time.

    .venv/bin/python benchmarks/report_generation.py [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from proto.base import utcnow  # noqa: E402
from services.packaging.report.data import (  # noqa: E402
    CostFigures,
    DataStats,
    EvalPoint,
    JobFacts,
    ReportData,
    TrainingMetrics,
    TrainPoint,
    software_versions,
)
from services.packaging.report.render import render  # noqa: E402
from services.packaging.report.validation import from_answer  # noqa: E402

DIMENSIONS = ("empathy", "clarity", "appropriateness")


def validation_answer() -> dict:
    """GetValidation's answer with every suite at the spec's full size."""
    examples = [{"scenario_id": f"pair-{i}", "user_input": f"I'm anxious about my mortgage ({i}). " * 3,
                 "reference": "…", "base_answer": "You should budget. " * 12,
                 "trained_answer": "That worry makes sense; let's look at it together. " * 8,
                 "base_overall": 2.5, "trained_overall": 2.5 + (i % 20) / 10} for i in range(50)]
    dims = [{"dimension": d, "base": 2.6, "trained": 4.0, "improvement_pct": 53.8} for d in DIMENSIONS]
    return {"run": 1, "status": "completed", "scorer": "judge", "judge": {"model": "gpt-4o"},
            "suites": [
                {"suite": "perplexity", "status": "completed", "badge": "Production Ready",
                 "headline": "31.4% lower perplexity (24.5 → 16.8)",
                 "figures": {"base_perplexity": 24.5, "trained_perplexity": 16.8, "improvement_pct": 31.4}},
                {"suite": "emotional_intelligence", "status": "completed", "badge": "Exceptional",
                 "judge_prompt_id": "ei-v1", "headline": "EI 2.6/5 → 4.0/5 = 54% improvement",
                 "figures": {"overall": {"dimension": "overall", "base": 2.6, "trained": 4.0,
                                         "improvement_pct": 53.8}, "dimensions": dims,
                             "examples": examples}},
                {"suite": "knowledge_retention", "status": "completed", "badge": "Passed",
                 "headline": "96% knowledge retained (86% vs 90%)",
                 "figures": {"base_accuracy_pct": 90.0, "trained_accuracy_pct": 86.0, "retention_pct": 95.6,
                             "regressed": [{"id": f"q{i}", "topic": "tax"} for i in range(8)]}},
                {"suite": "brand_voice", "status": "completed", "badge": "Strong Brand Alignment",
                 "headline": "4.4/5 (88% brand alignment)",
                 "figures": {"overall": 4.4, "alignment_pct": 88.0, "characteristics": [
                     {"name": f"Characteristic {i}", "score": 3.5 + i / 10, "flagged": False}
                     for i in range(10)]}}]}


def report(points: int) -> ReportData:
    job = JobFacts(id=uuid.uuid4(), name="Financial advisor — Naomi v3", status="completed",
                   created_at=utcnow(), model_name="embedded:smollm2-135m-instruct",
                   preset="balanced", gpu_type="cpu", pricing="spot",
                   hyperparameters={"learning_rate": 2e-4, "epochs": 3, "seed": 42},
                   lora={"r": 16, "alpha": 32, "target_modules": ["q_proj", "v_proj"]})
    metrics = TrainingMetrics(
        train=[TrainPoint(s, 3.0 / (1 + s / 50)) for s in range(1, points + 1)],
        eval=[EvalPoint(s, 2.8 / (1 + s / 50), 9.0) for s in range(1, points + 1, max(1, points // 20))],
        total_steps=points, tokens_per_s=210.0)
    return ReportData(job=job, generated_at=utcnow(), version=1, metrics=metrics,
                      data=DataStats(conversations=242, pairs=1567, usable_pairs=1344),
                      validation=from_answer(validation_answer()),
                      cost=CostFigures(final=True, total_cents=4_213, compute_cents=3_900,
                                       interruption_overhead_cents=313, storage_cents=0,
                                       estimate_cents=4_000, variance_pct=5.3),
                      software=software_versions())


async def measure(name: str, points: int, runs: int) -> None:
    data = report(points)
    await render(data)  # warm-up: imports, fonts, matplotlib caches (once per service process)
    times, sizes, pages, simplified = [], set(), set(), 0
    for _ in range(runs):
        started = time.perf_counter()
        done = await render(data)
        times.append(time.perf_counter() - started)
        sizes.add(len(done.pdf))
        pages.add(done.pages)
        simplified += done.simplified
    print(f"{name:<28} {points:>5} metric points  median {statistics.median(times):5.2f} s  "
          f"max {max(times):5.2f} s  PDF {max(sizes) / 1024:,.0f} KiB  pages {sorted(pages)}  "
          f"simplified {simplified}/{runs}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--demo-points", type=int, default=60,
                        help="metric points of the demo job: an upper bound, not a measurement (the sample file, "
                             "62 conversations, 2 epochs at 2x2 train a few dozen steps)")
    args = parser.parse_args()
    await measure("demo job", args.demo_points, args.runs)
    await measure("2,000 metric points", 2000, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
