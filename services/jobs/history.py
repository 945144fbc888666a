"""What this installation's own finished jobs say (UJ1.2.1, UJ1.2.2, UJ2.1.2): each preset's
success rate, how often spot instances were interrupted, and how long a GPU type took to come
back after none was free. No I/O: the repository hands over the rows, this counts.

Every figure carries the count it rests on and says "no history yet" until there is one, so a
rate is never shown without how much it is worth.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from proto.job_history import Rate, ReturnTime
from proto.job_state import GpuWait

NO_HISTORY = "no history yet"


class FinishedJob(msgspec.Struct, frozen=True, kw_only=True):
    preset: str
    gpu_type: str
    pricing: str
    status: str  # completed | failed | cancelled
    interruptions: int
    started: bool  # an instance ran (a job cancelled while queued never did)


class GpuWaitRow(msgspec.Struct, frozen=True, kw_only=True):
    """A job that found no GPU: its wait (jobs.gpu_wait) and when an instance next started."""

    gpu_type: str
    pricing: str  # the job's pricing now (on-demand after a switch)
    wait: GpuWait
    gpu_at: datetime | None  # None: no GPU came (still waiting, or cancelled)


def rate(part: int, whole: int, what: str, noun: str) -> Rate:
    """"92% of 25 finished jobs succeeded", or "no history yet" with nothing to count."""
    if whole == 0:
        return Rate(rate_pct=None, part=0, count=0, text=NO_HISTORY)
    pct = round(100 * part / whole)
    plural = noun if whole == 1 else f"{noun}s"
    return Rate(rate_pct=pct, part=part, count=whole, text=f"{pct}% of {whole} {plural} {what}")


def preset_success(jobs: Iterable[FinishedJob], presets: Iterable[str]) -> dict[str, Rate]:
    """Completed among completed + failed. A cancelled job is left out: the user stopped it,
    so it says nothing about whether the preset would have worked."""
    return success_by(jobs, lambda job: job.preset, presets)


def pricing_success(jobs: Iterable[FinishedJob]) -> dict[str, Rate]:
    """UJ1.2.2 "95%+ success rate with automatic checkpoint recovery", measured: spot and
    on-demand jobs that finished, interruptions and all."""
    return success_by(jobs, lambda job: job.pricing, ("spot", "on_demand"))


def success_by(jobs: Iterable[FinishedJob], key: Callable[[FinishedJob], str],
               keys: Iterable[str]) -> dict[str, Rate]:
    done: dict[str, list[bool]] = defaultdict(list)
    for job in jobs:
        if job.status in ("completed", "failed"):
            done[key(job)].append(job.status == "completed")
    return {k: rate(sum(done[k]), len(done[k]), "succeeded", "finished job") for k in keys}


def spot_interruptions(jobs: Iterable[FinishedJob]) -> tuple[Rate, dict[str, Rate]]:
    """The share of finished spot jobs that ran and were interrupted at least once: overall,
    and per GPU type."""
    ran: dict[str, list[bool]] = defaultdict(list)
    for job in jobs:
        if job.pricing == "spot" and job.started:
            ran[job.gpu_type].append(job.interruptions > 0)
    every = [hit for hits in ran.values() for hit in hits]
    return (rate(sum(every), len(every), "interrupted", "spot job"),
            {gpu: rate(sum(hits), len(hits), "interrupted", "spot job")
             for gpu, hits in ran.items()})


def waited_s(row: GpuWaitRow) -> tuple[str, float] | None:
    """(pricing waited for, seconds until a GPU of it came), or None when none came: a wait
    ended by switching to on-demand, by cancelling, or not over yet tells how long it was *at
    least*, not how long the GPU took, so it is not counted."""
    if row.gpu_at is None:
        return None
    if any(c.choice == "on_demand" for c in row.wait.choices):
        return None
    return row.pricing, max(0.0, (row.gpu_at - row.wait.since).total_seconds())


def return_times(rows: Iterable[GpuWaitRow]) -> dict[str, dict[str, ReturnTime]]:
    """GPU type → pricing → the median time a GPU took to come back here after none was free."""
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if (got := waited_s(row)) is not None:
            waits[(row.gpu_type, got[0])].append(got[1])
    out: dict[str, dict[str, ReturnTime]] = defaultdict(dict)
    for (gpu, pricing), seconds in waits.items():
        out[gpu][pricing] = return_time(seconds)
    return dict(out)


def return_time(seconds: list[float]) -> ReturnTime:
    if not seconds:
        return ReturnTime(median_s=None, count=0, text=NO_HISTORY)
    median = statistics.median(seconds)
    waits = "wait" if len(seconds) == 1 else "waits"
    return ReturnTime(median_s=median, count=len(seconds),
                      text=f"typically available again within {about(median)} "
                           f"(median of {len(seconds)} past {waits} here)")


def about(seconds: float) -> str:
    """A wait in the words a person reads: "40 seconds", "17 minutes", "1.5 hours"."""
    if seconds < 90:
        return f"{round(seconds)} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
