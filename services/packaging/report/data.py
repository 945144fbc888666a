"""What a report is made of, as typed state, and how it is gathered from the services that own it.

Each source is asked on its own with a short timeout: the job is required, everything else is
optional. A source that does not answer leaves its section empty, and the report says so ("not
run", "not available") rather than failing: the report must work while validation is absent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import metadata
from typing import Any

import msgspec

from proto.cost import GetJobCost
from proto.jobs import GetJob, GetTrainingFile
from proto.monitoring import GetMetrics
from proto.validation import GetValidation
from services.packaging.report.validation import ValidationFigures, from_answer

log = logging.getLogger(__name__)
Ask = Callable[[Any], Awaitable[Any]]
SOFTWARE = ("torch", "transformers", "peft", "weasyprint", "matplotlib", "msgspec")


class JobFacts(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    description: str = ""
    status: str
    created_at: datetime
    finished_at: datetime | None = None
    model_name: str
    preset: str
    gpu_type: str
    pricing: str
    gpu_count: int = 1
    training_file_name: str = ""
    hyperparameters: dict[str, Any] = {}
    lora: dict[str, Any] = {}
    interruptions: str = ""  # the job's interruption summary, "" when none


class TrainPoint(msgspec.Struct, frozen=True, array_like=True):
    step: int
    loss: float


class EvalPoint(msgspec.Struct, frozen=True, array_like=True):
    step: int
    val_loss: float
    perplexity: float


class TrainingMetrics(msgspec.Struct, frozen=True, kw_only=True):
    train: list[TrainPoint] = []
    eval: list[EvalPoint] = []
    total_steps: int = 0
    tokens_per_s: float | None = None  # median of the reported rates

    @property
    def final_loss(self) -> float | None:
        return self.train[-1].loss if self.train else None

    @property
    def final_val_loss(self) -> float | None:
        return self.eval[-1].val_loss if self.eval else None


class DataStats(msgspec.Struct, frozen=True, kw_only=True):
    conversations: int | None = None
    pairs: int | None = None
    usable_pairs: int | None = None
    estimated_tokens: int | None = None
    human_reviewed: int | None = None
    quality_badge: str | None = None


class CostFigures(msgspec.Struct, frozen=True, kw_only=True):
    """The cost service's final breakdown (UJ6.3.1); `final` False: the live spend so far."""

    final: bool
    total_cents: int
    compute_cents: int | None = None
    interruption_overhead_cents: int | None = None
    storage_cents: int | None = None
    estimate_cents: int | None = None
    variance_pct: float | None = None
    billable_hours: float | None = None
    by_rate: list[dict[str, Any]] = []


class ReportData(msgspec.Struct, frozen=True, kw_only=True):
    job: JobFacts
    generated_at: datetime
    version: int
    partial: bool = False
    metrics: TrainingMetrics = TrainingMetrics()
    data: DataStats = DataStats()
    validation: ValidationFigures = ValidationFigures()
    cost: CostFigures | None = None
    software: dict[str, str] = {}
    missing: list[str] = []  # sources that did not answer, said in the report


async def assemble(ask: Ask, ask_optional: Ask, job_id: uuid.UUID, version: int, now: datetime,
                   partial: bool = False) -> ReportData:
    """Ask every source at once; only the job itself is required (`ask` waits out a restart
    of the jobs service, `ask_optional` hears at once that a service is not there)."""
    job_raw = await ask(GetJob(job_id=job_id))
    job = _job(job_raw)
    names = ("metrics", "data", "validation", "cost")
    answers = await asyncio.gather(
        _optional(ask_optional(GetMetrics(job_id=job_id))),
        _optional(ask_optional(GetTrainingFile(training_file_id=job_raw["training_file_id"]))),
        _optional(ask_optional(GetValidation(job_id=job_id))),
        _optional(ask_optional(GetJobCost(job_id=job_id))))
    found = dict(zip(names, answers, strict=True))
    return ReportData(
        job=job, generated_at=now, version=version, partial=partial,
        metrics=metrics_of(found["metrics"]) if found["metrics"] else TrainingMetrics(),
        data=_data(found["data"]) if found["data"] else DataStats(),
        validation=from_answer(found["validation"]),
        cost=cost_of(found["cost"]), software=software_versions(),
        missing=[n for n in names if found[n] is None])


async def _optional(answer: Awaitable[Any]) -> Any:
    try:
        return await answer
    except Exception as exc:  # a source that is absent, slow or refuses: its section says so
        log.info("report source did not answer: %s", exc)
        return None


def _job(raw: dict[str, Any]) -> JobFacts:
    return JobFacts(
        id=raw["id"], name=raw["name"], description=raw.get("description") or "",
        status=raw["status"], created_at=msgspec.convert(raw["created_at"], datetime),
        finished_at=msgspec.convert(raw["finished_at"], datetime | None),
        model_name=raw["model"]["name"], preset=raw["preset"], gpu_type=raw["gpu_type"],
        pricing=raw["pricing"], gpu_count=raw.get("gpu_count", 1),
        training_file_name=raw.get("training_file_name", ""),
        hyperparameters=raw.get("hyperparameters") or {}, lora=raw.get("lora") or {},
        interruptions=(raw.get("interruption_history") or {}).get("summary", ""))


def metrics_of(raw: dict[str, Any]) -> TrainingMetrics:
    train = [TrainPoint(r["step"], r["loss"]) for r in raw.get("train", [])
             if r.get("loss") is not None]
    evals = [EvalPoint(r["step"], r["val_loss"], r["perplexity"]) for r in raw.get("eval", [])
             if r.get("val_loss") is not None]
    rates = sorted(r["tokens_per_s"] for r in raw.get("train", []) if r.get("tokens_per_s"))
    totals = [r["total_steps"] for r in raw.get("train", []) if r.get("total_steps")]
    return TrainingMetrics(train=train, eval=evals, total_steps=max(totals, default=0),
                           tokens_per_s=rates[len(rates) // 2] if rates else None)


def _data(raw: dict[str, Any]) -> DataStats:
    stats = raw.get("stats") or {}
    return DataStats(conversations=stats.get("conversation_count"), pairs=stats.get("pair_count"),
                     usable_pairs=stats.get("usable_pair_count"),
                     estimated_tokens=stats.get("estimated_tokens"),
                     human_reviewed=stats.get("human_reviewed_count"),
                     quality_badge=stats.get("quality_badge"))


def cost_of(raw: dict[str, Any] | None) -> CostFigures | None:
    """The final figures once the cost service has settled them, else the spend so far."""
    if not raw:
        return None
    final = raw.get("final") or {}
    if "total_cents" in final:
        return CostFigures(final=True, **{k: final.get(k) for k in (
            "total_cents", "compute_cents", "interruption_overhead_cents", "storage_cents",
            "estimate_cents", "variance_pct", "billable_hours")}, by_rate=final.get("by_rate", []))
    estimate = (raw.get("estimate") or {}).get("cost_cents")
    return CostFigures(final=False, total_cents=raw.get("spend_cents", 0), estimate_cents=estimate)


def software_versions() -> dict[str, str]:
    import platform

    found = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
