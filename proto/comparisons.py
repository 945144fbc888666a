"""Run comparison (UJ6.4.1): 2 to 4 jobs side by side, answered by the packaging service.

The service gathers each job's configuration (jobs), metrics (monitoring), cost (cost) and
validation (validation, where it has run) by RPC and applies the rules of
services/packaging/comparison.py.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

import msgspec

MIN_JOBS, MAX_JOBS = 2, 4
QualitySource = Literal["validation_perplexity", "validation_loss", "training_loss"]


class CompareJobs(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.packaging.compare_jobs"
    job_ids: list[uuid.UUID]  # 2 to 4; the rules check it so the error can say how to fix it


class ExportComparison(msgspec.Struct, frozen=True, kw_only=True):
    """The comparison as a PDF in object storage; answers {key, filename, size_bytes}."""

    subject: ClassVar[str] = "rpc.packaging.export_comparison"
    job_ids: list[uuid.UUID]


class Series(msgspec.Struct, frozen=True, kw_only=True):
    """One job's loss curves for the overlaid chart: [step, loss] pairs, thinned to a few
    hundred points (the last one always kept)."""

    job_id: uuid.UUID
    name: str
    train: list[tuple[int, float]]
    eval: list[tuple[int, float]]


class MetricsRow(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    name: str
    status: str
    final_train_loss: float | None
    final_val_loss: float | None
    perplexity_improvement_pct: float | None  # validation's, base → trained
    perplexity_badge: str | None = None
    ei_improvement_pct: float | None = None
    retention_pct: float | None = None
    cost_cents: int | None  # the final cost once settled, else the spend so far
    cost_final: bool = False
    duration_s: float | None = None
    quality_pct: float | None  # the measure named by the comparison's quality_source
    quality_per_dollar: float | None = None
    is_winner: bool = False


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """A setting that differs between the jobs: its value for each, in the jobs' order."""

    field: str
    label: str
    values: list[str]


class Winner(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    name: str
    headline: str  # "Job 2: best quality/cost ratio (…)"


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    job_ids: list[uuid.UUID]
    series: list[Series]
    table: list[MetricsRow]
    differences: list[Difference]
    quality_source: QualitySource
    quality_label: str
    rule: str  # the winner rule, stated in words
    winner: Winner | None
    comparable: bool
    warnings: list[str]
    notes: list[str]  # what a reader should know about the figures (fallbacks, pending costs)


class ComparisonView(Comparison, frozen=True, kw_only=True):
    """POST /comparisons: the comparison and where its PDF export is (the gateway's URL)."""

    pdf_url: str
