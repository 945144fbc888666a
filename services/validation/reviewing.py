"""Review and rubric requests: lease an item, save a reviewer's scores, manage rubrics.

Saving the last item of a suite computes its result, like the judge's last scenario does.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from proto.api import ServiceError
from proto.validation import (
    ChooseRubric,
    GetRubric,
    ListRubrics,
    NextReviewItem,
    Rubric,
    SubmitReview,
    UploadRubric,
    ValidationProgressed,
)
from proto.validation_views import NextReview, ReviewProgress, ReviewSaved
from services.validation import review
from services.validation import suites as suite_flow
from services.validation.handlers import Context
from services.validation.repository import Validation
from services.validation.rubric import check_uploaded, default_rubric
from services.validation.suites import load_detail


def _rubric(row: dict[str, Any]) -> Rubric | None:
    return msgspec.convert(row["rubric"], Rubric) if row["rubric"] else None


async def _scenario(ctx: Context, suite_row: dict[str, Any], scenario_id: str):
    detail = await load_detail(ctx.store, suite_row["suite"], suite_row["detail_key"],
                               suite_row["detail_sha256"])
    return detail, next(s for s in detail.scenarios if s.scenario_id == scenario_id)


async def next_item(q: NextReviewItem, ctx: Context, lease_s: float) -> NextReview:
    async with ctx.uow() as work:
        repo = Validation(work.conn)
        item = await repo.lease_next(q.job_id, q.reviewer, lease_s)
        suite_row = await repo.suite(q.job_id, item["run"], item["suite"]) if item else None
        counts = await repo.review_counts(q.job_id)
    progress = ReviewProgress(scored=counts["total"] - counts["open"], total=counts["total"])
    if item is None:
        message = ("Every item is scored or being scored by another reviewer."
                   if counts["open"] else "Nothing waits for review.")
        return NextReview(item=None, progress=progress, message=message)
    _, scenario = await _scenario(ctx, suite_row, item["scenario_id"])
    return NextReview(item=review.item_view(item, scenario, _rubric(suite_row), progress),
                      progress=progress)


async def submit(cmd: SubmitReview, ctx: Context) -> ReviewSaved:
    async with ctx.uow(snapshot=True) as work:
        repo = Validation(work.conn)
        item = await repo.item(cmd.item_id)
        suite_row = await repo.suite(cmd.job_id, item["run"], item["suite"]) if item else None
    if item is None or item["job_id"] != cmd.job_id:
        raise ServiceError.not_found("review item", cmd.item_id)
    _check_holder(item, cmd.reviewer)
    score = review.to_score(item, cmd, _rubric(suite_row))
    detail, _ = await _scenario(ctx, suite_row, item["scenario_id"])
    async with ctx.uow() as work:
        repo = Validation(work.conn)
        await repo.lock_job(cmd.job_id)
        item = await repo.item(cmd.item_id, lock=True)
        _check_holder(item, cmd.reviewer)
        await repo.add_score(cmd.job_id, item["run"], item["suite"], item["scenario_id"], True,
                             msgspec.to_builtins(score), "", "review")
        await repo.mark_scored(cmd.item_id, cmd.reviewer)
        counts = await repo.count_outcome(cmd.job_id, item["run"], item["suite"], True)
        work.emit(ValidationProgressed(
            job_id=cmd.job_id, run=item["run"], suite=item["suite"], status="awaiting_review",
            scored=counts["scored"], total=counts["total"],
            message=f"{counts['scored']} of {counts['total']} reviewed"))
        if counts["scored"] >= counts["total"]:
            await suite_flow.finish_scored(work, cmd.job_id, item["run"], item["suite"], detail)
            await suite_flow.advance_run(work, cmd.job_id, item["run"])
    return ReviewSaved(item_id=cmd.item_id, saved=True,
                       suite_progress=ReviewProgress(scored=counts["scored"],
                                                     total=counts["total"]))


def _check_holder(item: dict[str, Any], reviewer: str) -> None:
    if item["scored_at"] is not None:
        raise ServiceError("already_reviewed", "This item has already been scored.",
                           "Ask for the next item.", {"item_id": str(item["item_id"])}, 409)
    # An expired lease still counts while nobody else has taken the item: a slow reviewer's
    # scores are kept, but never over another reviewer's open item.
    if item["leased_to"] != reviewer:
        raise ServiceError(
            "item_leased" if item["leased_to"] else "item_not_leased",
            "Another reviewer has this item open." if item["leased_to"]
            else "Open the item before scoring it.",
            "Ask for the next item (review/next) and score that one.",
            {"item_id": str(item["item_id"])}, 409)


# --- Rubrics -------------------------------------------------------------------------------------


def _rubric_view(row: dict[str, Any]) -> Rubric:
    return msgspec.convert({**row, "source": "uploaded"}, Rubric)


async def upload_rubric(cmd: UploadRubric, ctx: Context) -> Rubric:
    check_uploaded(cmd.characteristics)
    async with ctx.uow() as work:
        row = await Validation(work.conn).add_rubric({
            "rubric_id": uuid.uuid4(), "name": cmd.name,
            "characteristics": msgspec.to_builtins(cmd.characteristics), "avoid": cmd.avoid})
    return _rubric_view(row)


async def list_rubrics(_: ListRubrics, ctx: Context) -> list[Rubric]:
    async with ctx.uow() as work:
        return [_rubric_view(r) for r in await Validation(work.conn).rubrics()]


async def choose_rubric(cmd: ChooseRubric, ctx: Context) -> Rubric:
    async with ctx.uow() as work:
        repo = Validation(work.conn)
        if cmd.rubric_id is not None and await repo.rubric(cmd.rubric_id) is None:
            raise ServiceError.not_found("rubric", cmd.rubric_id)
        await repo.set_job(cmd.job_id, rubric_id=cmd.rubric_id)
    return await get_rubric(GetRubric(job_id=cmd.job_id), ctx)


async def get_rubric(q: GetRubric, ctx: Context) -> Rubric:
    """The chosen rubric, else the default from the job's brand-voice answers' profile."""
    async with ctx.uow(snapshot=True) as work:
        repo = Validation(work.conn)
        job = await repo.job(q.job_id)
        if job and job["rubric_id"]:
            return _rubric_view(await repo.rubric(job["rubric_id"]))
        measured = await repo.latest_measured(q.job_id, "brand_voice")
    if measured is None:
        return default_rubric(None)
    detail = await load_detail(ctx.store, "brand_voice", measured["detail_key"],
                               measured["detail_sha256"])
    return default_rubric(detail.consultant_profile)
