"""Validation handlers: the trainer's measurements in, re-runs, and the validation view out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.training import Completed, Failed, StageChanged, SuiteMeasured
from proto.validation import (
    SUITES,
    GetValidation,
    RerunValidation,
    ValidationRunRequested,
    ValidationStarted,
)
from proto.validation_views import (
    JudgeUsage,
    RerunAccepted,
    ReviewCounts,
    SuiteView,
    ValidationView,
)
from services.validation import suites as suite_flow
from services.validation.repository import Validation
from services.validation.suites import SCORED_SUITES, DetailError, load_detail

SUITE_CONSUMER = "validation-on-suite-measured"
BUSY = ("pending", "measuring", "scoring")


@dataclass(frozen=True)
class Context:
    uow: UnitOfWork
    store: ObjectStore
    scorer: str  # "judge" when a judge is configured, else "review"
    judge_model: str | None


async def ensure_run(work: Any, ctx: Context, job_id: uuid.UUID, attempt: int) -> int:
    """The run an attempt measures: a re-run waiting for it, or a new one."""
    repo = Validation(work.conn)
    await repo.lock_job(job_id)
    row = await repo.run_for_attempt(job_id, attempt)
    if row:
        return row["run"]
    requested = await repo.requested_run(job_id)
    if requested:
        await repo.update_run(job_id, requested["run"], attempt=attempt, status="measuring")
        run = requested["run"]
    else:
        run = await repo.create_run(job_id, {"attempt": attempt, "status": "measuring",
                                             "scorer": ctx.scorer, "judge_model": ctx.judge_model,
                                             "measuring_done": False})
    work.emit(ValidationStarted(job_id=job_id, run=run, attempt=attempt))
    return run


async def on_trainer_event(event: Any, ctx: Context) -> None:
    match event:
        case StageChanged(stage="validating"):
            async with ctx.uow() as work:
                await ensure_run(work, ctx, event.job_id, event.attempt)
        case SuiteMeasured():
            await on_suite_measured(event, ctx)
        case Completed() | Failed():
            await on_trainer_done(event, ctx)


async def on_suite_measured(event: SuiteMeasured, ctx: Context) -> None:
    detail, problem = None, ""
    if not event.ok:
        problem = event.message or "the trainer could not measure it"
    elif not event.detail_key:
        problem = "the trainer stored no detail for it"
    else:
        try:
            detail = await load_detail(ctx.store, event.suite, event.detail_key,
                                       event.detail_sha256)
        except DetailError as exc:
            problem = str(exc)
    async with ctx.uow() as work:
        if not await work.first_time(SUITE_CONSUMER, event.event_id):
            return
        run = await ensure_run(work, ctx, event.job_id, event.attempt)
        row = await Validation(work.conn).run(event.job_id, run)
        await Validation(work.conn).put_suite(
            event.job_id, run, event.suite, status="measuring", detail_key=event.detail_key,
            detail_sha256=event.detail_sha256, duration_s=event.duration_s)
        if detail is None:
            await suite_flow.fail_suite(work, event.job_id, run, event.suite, problem)
        else:
            await suite_flow.start_suite(work, event.job_id, run, event.suite, detail,
                                         row["scorer"])
        await suite_flow.advance_run(work, event.job_id, run)


async def on_trainer_done(event: Completed | Failed, ctx: Context) -> None:
    """The attempt reported all it will: suites it never measured fail, the run moves on."""
    async with ctx.uow() as work:
        repo = Validation(work.conn)
        await repo.lock_job(event.job_id)
        if isinstance(event, Completed):
            await repo.set_job(event.job_id, adapter_key=event.adapter_key)
        row = await repo.run_for_attempt(event.job_id, event.attempt)
        if row is None or row["measuring_done"]:
            return
        why = ("the trainer finished without measuring it" if isinstance(event, Completed)
               else f"the trainer failed before measuring it: {event.message}")
        for suite in await repo.suites_of_run(event.job_id, row["run"]):
            if suite["status"] in ("pending", "measuring"):
                await suite_flow.fail_suite(work, event.job_id, row["run"], suite["suite"], why)
        await repo.update_run(event.job_id, row["run"], measuring_done=True,
                              message="" if isinstance(event, Completed) else why)
        await suite_flow.advance_run(work, event.job_id, row["run"])


# --- Re-runs -------------------------------------------------------------------------------------


def _check_suites(requested: list[str]) -> list[str]:
    unknown = [s for s in requested if s not in SUITES]
    if unknown or not requested:
        raise ServiceError(
            "unknown_suite", f"Unknown validation suite(s): {', '.join(unknown) or '(none given)'}.",
            f"Name one or more of: {', '.join(SUITES)}.",
            {"unknown": unknown, "suites": list(SUITES)}, 422)
    return list(dict.fromkeys(requested))


async def rerun(cmd: RerunValidation, ctx: Context) -> RerunAccepted:
    """EI and brand voice rescored from their stored answers now; the rest (or `regenerate`)
    asked of the jobs service, which queues a validation-only attempt with the adapter."""
    wanted = _check_suites(cmd.suites)
    async with ctx.uow(snapshot=True) as work:
        latest = {s["suite"]: s for s in await Validation(work.conn).latest_suites(cmd.job_id)}
        job = await Validation(work.conn).job(cmd.job_id)
    busy = [s for s in wanted if latest.get(s, {}).get("status") in BUSY]
    if busy:
        raise ServiceError("validation_in_progress", f"Still measuring or scoring: {', '.join(busy)}.",
                           "Wait for these suites to finish, then re-run them.", {"busy": busy}, 409)
    rescore = [s for s in wanted if s in SCORED_SUITES and not cmd.regenerate
               and (latest.get(s) or {}).get("detail_key")]
    model = [s for s in wanted if s not in rescore]
    adapter = (job or {}).get("adapter_key")
    if model and not adapter:
        raise ServiceError(
            "no_adapter", f"{', '.join(model)} need(s) the trained adapter, and this job has none "
            "on record.", "Re-run these once the job has completed training.",
            {"suites": model}, 409)
    try:
        details = {s: await load_detail(ctx.store, s, latest[s]["detail_key"],
                                        latest[s]["detail_sha256"]) for s in rescore}
    except DetailError as exc:
        raise ServiceError("stored_answers_unreadable", f"The stored answers can't be used: {exc}.",
                           'Re-run with "regenerate": true to answer again with the model.',
                           {"suites": rescore}, 409) from exc
    async with ctx.uow() as work:
        run = await _new_run(work, ctx, cmd.job_id, wanted, model, adapter)
        repo = Validation(work.conn)
        for suite, detail in details.items():
            await repo.put_suite(cmd.job_id, run, suite, status="measuring",
                                 detail_key=latest[suite]["detail_key"],
                                 detail_sha256=latest[suite]["detail_sha256"])
            await suite_flow.start_suite(work, cmd.job_id, run, suite, detail, ctx.scorer)
        await suite_flow.advance_run(work, cmd.job_id, run)
    return RerunAccepted(job_id=cmd.job_id, run=run, rescoring=rescore, measuring=model)


async def _new_run(work: Any, ctx: Context, job_id: uuid.UUID, wanted: list[str],
                   model: list[str], adapter: str | None) -> int:
    repo = Validation(work.conn)
    await repo.lock_job(job_id)
    run = await repo.create_run(job_id, {
        "attempt": None, "status": "requested" if model else "scoring", "scorer": ctx.scorer,
        "judge_model": ctx.judge_model, "measuring_done": not model})
    work.emit(ValidationStarted(job_id=job_id, run=run, suites=wanted))
    for suite in model:
        await repo.put_suite(job_id, run, suite, status="pending",
                             headline="waiting for an instance to measure it")
    if model:
        work.emit(ValidationRunRequested(job_id=job_id, run=run, adapter_key=adapter,
                                         suites=model))
    return run


# --- The view ------------------------------------------------------------------------------------


async def get_validation(q: GetValidation, ctx: Context) -> ValidationView:
    async with ctx.uow(snapshot=True) as work:
        repo = Validation(work.conn)
        run = await repo.latest_run(q.job_id)
        rows = {s["suite"]: s for s in await repo.latest_suites(q.job_id)}
        usage = await repo.usage(q.job_id)
        review = await repo.review_counts(q.job_id)
    unmeasured = "measuring" if run and run["status"] == "measuring" else "pending"
    return ValidationView(
        job_id=q.job_id, run=run["run"] if run else 0,
        status=run["status"] if run else "not_started",
        message=run["message"] if run else "",
        scorer=run["scorer"] if run else ctx.scorer,
        judge=JudgeUsage(model=run["judge_model"] if run else ctx.judge_model, **usage),
        review=ReviewCounts(open=review["open"], total=review["total"]),
        suites=[_suite_view(rows.get(s), s, unmeasured) for s in SUITES],
    )


def _suite_view(row: dict[str, Any] | None, suite: str, unmeasured: str) -> SuiteView:
    if row is None:
        return SuiteView(suite=suite, status=unmeasured, run=None, headline=unmeasured,
                         partial=False, rerun_offered=False)
    return SuiteView(
        suite=suite, status=row["status"], run=row["run"], figures=row["figures"],
        badge=row["badge"], headline=row["headline"], message=row["message"],
        partial=row["status"] == "partial", scored=row["scored"], failed=row["failed"],
        total=row["total"], duration_s=row["duration_s"],
        judge_prompt_id=row["prompt_id"], rubric=row["rubric"],
        rerun_offered=row["status"] in ("failed", "partial"),
    )
