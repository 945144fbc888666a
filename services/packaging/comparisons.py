"""Comparison handlers (UJ6.4.1): gather each job's inputs from the services that own them,
apply the rules (comparison.py), and export the result as a PDF in object storage."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.comparisons import CompareJobs, Comparison, ExportComparison
from proto.cost import GetJobCost
from proto.jobs import GetJob
from proto.monitoring import GetMetrics
from proto.validation import GetValidation
from services.packaging import comparison, comparison_pdf
from services.packaging.comparison_inputs import JobInputs

# ask(request, wait_for_service) -> the owning service's answer (libs.common.bus.call)
Ask = Callable[..., Awaitable[Any]]


async def compare_jobs(q: CompareJobs, ask: Ask) -> Comparison:
    comparison.check_selection(q.job_ids)  # before asking anyone anything
    inputs = await asyncio.gather(*(gather(ask, job_id) for job_id in q.job_ids))
    return comparison.compare(list(inputs))


async def gather(ask: Ask, job_id: uuid.UUID) -> JobInputs:
    """A job and its metrics are required (an unknown job is a 404); its cost and validation
    are optional: a service without an answer leaves a note, not a failed comparison."""
    job, metrics, cost, validation = await asyncio.gather(
        ask(GetJob(job_id=job_id)), ask(GetMetrics(job_id=job_id)),
        _optional(ask(GetJobCost(job_id=job_id), wait_for_service=False)),
        _optional(ask(GetValidation(job_id=job_id), wait_for_service=False)))
    return JobInputs(job=job, metrics=metrics, cost=cost, validation=validation)


async def _optional(answer: Awaitable[Any]) -> Any:
    try:
        return await answer
    except ServiceError:  # not found there, or the service is not running
        return None


async def export_comparison(q: ExportComparison, ask: Ask, store: ObjectStore) -> dict[str, Any]:
    result = await compare_jobs(CompareJobs(job_ids=q.job_ids), ask)
    pdf = await asyncio.to_thread(comparison_pdf.render_pdf, result)
    # One key per selection: exporting the same jobs again replaces the older PDF.
    digest = hashlib.sha256(",".join(sorted(map(str, q.job_ids))).encode()).hexdigest()[:16]
    key = f"comparisons/{digest}/comparison.pdf"
    await asyncio.to_thread(store.put_bytes, key, pdf)
    return {"key": key, "filename": f"comparison-{digest}.pdf", "size_bytes": len(pdf)}
