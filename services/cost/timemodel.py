"""The estimate's time model, re-fitted from this installation's finished jobs. No I/O.

The seed model says a job takes `seed_s` (tokens ÷ published throughput) plus a fixed overhead.
Reality differs per (GPU type, model size): a slower or faster box, per-step costs the token
count misses, a different start-up. For each pair with finished jobs we fit

    duration_s = intercept_s + slope × seed_s

by least squares weighted by 1/duration² — the spec's promise is relative (±15%), so a short
job's error must count as much as a long one's. Fewer than three jobs, or no spread in their
sizes, fit the slope alone (median ratio) on top of the seed overhead.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

MIN_FOR_LINE = 3


def size_class(parameter_count: int) -> int:
    """Model size bucket: the nearest power of two of the parameter count (135 M → 27)."""
    return round(math.log2(max(parameter_count, 1)))


@dataclass(frozen=True)
class Observation:
    """One finished job: what the seed model predicted, and how long it really ran."""

    gpu_type: str
    size_class: int
    seed_s: float
    duration_s: float  # billable: instance started → exited


@dataclass(frozen=True)
class Correction:
    slope: float
    intercept_s: float
    jobs: int
    # The leave-one-out back-test of this model on the same jobs (`backtest`): how many of
    # `backtest_jobs` came within ±TOLERANCE of what the others predicted. 0 jobs: not run.
    backtest_jobs: int = 0
    backtest_within: int = 0

    def duration_s(self, seed_s: float) -> float:
        return self.intercept_s + self.slope * seed_s


def fit(observations: list[Observation], seed_overhead_s: float) -> Correction | None:
    points = [(o.seed_s, o.duration_s) for o in observations if o.seed_s > 0 and o.duration_s > 0]
    if not points:
        return None
    line = _weighted_line(points) if len(points) >= MIN_FOR_LINE else None
    if line is None:
        slope = statistics.median(max(y - seed_overhead_s, 0.01 * y) / x for x, y in points)
        return Correction(slope=slope, intercept_s=seed_overhead_s, jobs=len(points))
    slope, intercept = line
    return Correction(slope=slope, intercept_s=intercept, jobs=len(points))


def _weighted_line(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares y = a + b·x with weights 1/y²; None when the fit would be meaningless
    (no spread in x, or a negative slope or intercept a timing outlier can produce)."""
    w = [1.0 / (y * y) for _, y in points]
    sw = sum(w)
    mx = sum(wi * x for wi, (x, _) in zip(w, points, strict=True)) / sw
    my = sum(wi * y for wi, (_, y) in zip(w, points, strict=True)) / sw
    sxx = sum(wi * (x - mx) ** 2 for wi, (x, _) in zip(w, points, strict=True))
    if sxx <= 1e-12 * max(mx * mx, 1e-12):
        return None
    sxy = sum(wi * (x - mx) * (y - my) for wi, (x, y) in zip(w, points, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    if slope <= 0 or intercept < 0:
        return None
    return slope, intercept


TOLERANCE = 0.15  # the ±15% the spec promises


def backtest(observations: list[Observation], seed_overhead_s: float) -> tuple[int, int]:
    """Leave-one-out (benchmarks/estimate_backtest.py's logic): each finished job's duration
    against what a model fitted on the others predicts. (jobs, within ±TOLERANCE); (0, 0)
    with fewer than two jobs, where there are no others to predict from."""
    points = [o for o in observations if o.seed_s > 0 and o.duration_s > 0]
    if len(points) < 2:
        return 0, 0
    within = 0
    for i, o in enumerate(points):
        others = fit(points[:i] + points[i + 1:], seed_overhead_s)
        predicted = others.duration_s(o.seed_s) if others else o.seed_s + seed_overhead_s
        within += abs(predicted - o.duration_s) <= TOLERANCE * o.duration_s
    return len(points), within


def accuracy_note(gpu_type: str, correction: Correction | None) -> str:
    """What the estimate's ±15% rests on: this installation's back-test, or nothing yet."""
    if correction is None or correction.backtest_jobs == 0:
        return (f"±15% is the catalogue seed's range for {gpu_type}, not a measurement: fewer "
                "than two jobs of this model size have finished on it here to back-test it")
    return (f"±15%, back-tested on this installation's {correction.backtest_jobs} finished jobs "
            f"on {gpu_type} at this model size: {correction.backtest_within} of "
            f"{correction.backtest_jobs} came within ±15% of what the others predicted")


def fit_all(observations: list[Observation], seed_overheads: dict[str, float]
            ) -> dict[tuple[str, int], Correction]:
    """One correction per (GPU type, size class) that has finished jobs."""
    groups: dict[tuple[str, int], list[Observation]] = {}
    for o in observations:
        groups.setdefault((o.gpu_type, o.size_class), []).append(o)
    fitted = {key: fit(obs, seed_overheads.get(key[0], 0.0)) for key, obs in groups.items()}
    return {key: c for key, c in fitted.items() if c is not None}
