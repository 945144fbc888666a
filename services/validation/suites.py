"""A suite from its measurement to its result, and a run from its first suite to its summary.

Called inside a unit of work: state changes and the events announcing them commit together.
Perplexity and knowledge are results as soon as they are measured; EI and brand voice wait
for a judge (scoring.py) or for reviewers (review.py) and finish here once every scenario has
an outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import msgspec

from libs.common.storage import ObjectNotFound, ObjectStore
from proto.base import utcnow
from proto.validation import (
    AnswersDetail,
    KnowledgeDetail,
    PerplexityDetail,
    Rubric,
    SuiteDetail,
    SuiteHeadline,
    ValidationCompleted,
    ValidationFailed,
    ValidationProgressed,
    ValidationSuiteCompleted,
)
from services.validation import answer_figures, domain, headlines, review
from services.validation.judge import PROMPT_IDS
from services.validation.repository import TERMINAL, Validation
from services.validation.rubric import default_rubric

SCORED_SUITES = ("emotional_intelligence", "brand_voice")
EXPECTED = {"perplexity": PerplexityDetail, "knowledge_retention": KnowledgeDetail,
            "emotional_intelligence": AnswersDetail, "brand_voice": AnswersDetail}


class DetailError(Exception):
    pass


def read_detail(store: ObjectStore, suite: str, key: str, sha256: str | None) -> SuiteDetail:
    """The trainer's detail document, checked against the digest its event carried."""
    try:
        data = store.get_bytes(key)
    except ObjectNotFound as exc:
        raise DetailError(f"the measured detail is missing from storage ({key})") from exc
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise DetailError("the measured detail does not match its checksum; it was not used")
    try:
        detail = msgspec.json.decode(data, type=SuiteDetail)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DetailError(f"the measured detail could not be read: {exc}") from exc
    if not isinstance(detail, EXPECTED[suite]):
        raise DetailError(f"the detail stored for {suite} is a {type(detail).__name__}")
    return detail


async def load_detail(store: ObjectStore, suite: str, key: str, sha256: str | None) -> SuiteDetail:
    return await asyncio.to_thread(read_detail, store, suite, key, sha256)


def scenarios_of(suite: str, detail: AnswersDetail) -> list:
    # EI compares two answers: a scenario without the base model's has nothing to compare.
    if suite == "emotional_intelligence":
        return [s for s in detail.scenarios if s.base_answer is not None]
    return list(detail.scenarios)


async def rubric_for(repo: Validation, job_id: uuid.UUID, detail: AnswersDetail) -> Rubric:
    job = await repo.job(job_id)
    if job and job["rubric_id"]:
        row = await repo.rubric(job["rubric_id"])
        return msgspec.convert({**row, "source": "uploaded"}, Rubric)
    return default_rubric(detail.consultant_profile)


async def fail_suite(work: Any, job_id: uuid.UUID, run: int, suite: str, message: str) -> None:
    repo = Validation(work.conn)
    await repo.put_suite(job_id, run, suite, status="failed", message=message,
                         headline=headlines.headline(suite, "failed", None, message), figures=None,
                         badge=None)
    _announce(work, job_id, run, suite, "failed", None, message)


async def start_suite(work: Any, job_id: uuid.UUID, run: int, suite: str, detail: SuiteDetail,
                      scorer: str) -> None:
    """A measured suite: a result now (perplexity, knowledge) or scoring set up (EI, brand)."""
    repo = Validation(work.conn)
    if isinstance(detail, PerplexityDetail | KnowledgeDetail):
        figures = (domain.perplexity_figures(detail) if isinstance(detail, PerplexityDetail)
                   else domain.retention_figures(detail))
        await _complete(work, job_id, run, suite, "completed", figures)
        return
    scenarios = scenarios_of(suite, detail)
    if not scenarios:
        await fail_suite(work, job_id, run, suite, "no held-out scenarios to score")
        return
    rubric = await rubric_for(repo, job_id, detail) if suite == "brand_voice" else None
    status = "scoring" if scorer == "judge" else "awaiting_review"
    await repo.put_suite(job_id, run, suite, status=status, total=len(scenarios), scored=0,
                         failed=0, prompt_id=PROMPT_IDS[suite] if scorer == "judge" else None,
                         rubric=msgspec.to_builtins(rubric) if rubric else None,
                         headline=headlines.headline(suite, status, None))
    if scorer == "review":
        for item in review.new_items(job_id, run, suite, scenarios):
            await repo.add_item(item)
    work.emit(ValidationProgressed(job_id=job_id, run=run, suite=suite, status=status,
                                   total=len(scenarios),
                                   message=f"{len(scenarios)} scenarios to score"))


async def finish_scored(work: Any, job_id: uuid.UUID, run: int, suite: str,
                        detail: AnswersDetail) -> None:
    """Every scenario has an outcome: the figures from the scored ones, partial if some failed."""
    repo = Validation(work.conn)
    row = await repo.suite(job_id, run, suite)
    rows = await repo.scores(job_id, run, suite)
    ok = [r["score"] for r in rows if r["ok"]]
    failed = len(rows) - len(ok)
    status = domain.scored_status(len(ok), failed)
    if status == "failed":
        errors = sorted({r["error"] for r in rows if r["error"]})
        await fail_suite(work, job_id, run, suite,
                         f"no scenario could be scored ({'; '.join(errors)[:300]})")
        return
    if suite == "emotional_intelligence":
        scores = [msgspec.convert(s, answer_figures.EIScore) for s in ok]
        figures = answer_figures.ei_figures(scores, failed, detail)
    else:
        rubric = msgspec.convert(row["rubric"], Rubric)
        figures = answer_figures.brand_figures(
            [msgspec.convert(s, answer_figures.BrandScore) for s in ok], failed,
            [c.name for c in rubric.characteristics], rubric.avoid, detail)
    await _complete(work, job_id, run, suite, status, figures)


async def _complete(work: Any, job_id: uuid.UUID, run: int, suite: str, status: str,
                    figures: Any) -> None:
    line = headlines.headline(suite, status, figures)
    scored = getattr(figures, "scored", 0)
    await Validation(work.conn).put_suite(
        job_id, run, suite, status=status, figures=msgspec.to_builtins(figures),
        badge=headlines.badge_of(figures), headline=line, scored=scored,
        failed=getattr(figures, "failed", 0), message=getattr(figures, "partial", None) or "")
    _announce(work, job_id, run, suite, status, headlines.badge_of(figures), line)


def _announce(work: Any, job_id: uuid.UUID, run: int, suite: str, status: str,
              badge: str | None, line: str) -> None:
    work.emit(ValidationSuiteCompleted(job_id=job_id, run=run, result=SuiteHeadline(
        suite=suite, status=status, badge=badge, headline=line)))


async def advance_run(work: Any, job_id: uuid.UUID, run: int) -> None:
    """Move the run on from its suites: scoring, awaiting review, or finished with a summary."""
    repo = Validation(work.conn)
    row = await repo.run(job_id, run)
    if row is None or row["status"] in ("completed", "failed") or not row["measuring_done"]:
        return
    suites = await repo.suites_of_run(job_id, run)
    waiting = {s["status"] for s in suites} - set(TERMINAL)
    if waiting:
        status = "awaiting_review" if waiting == {"awaiting_review"} else "scoring"
        if status != row["status"]:
            await repo.update_run(job_id, run, status=status)
        return
    headlines = [SuiteHeadline(suite=s["suite"], status=s["status"], badge=s["badge"],
                               headline=s["headline"]) for s in suites]
    if all(s["status"] == "failed" for s in suites):
        reason = "; ".join(f"{s['suite']}: {s['message']}" for s in suites) or (
            row["message"] or "the trainer reported no suite")
        await repo.update_run(job_id, run, status="failed", message=f"validation failed: {reason}",
                              finished_at=utcnow())
        work.emit(ValidationFailed(job_id=job_id, run=run, reason=f"validation failed: {reason}",
                                   rerun_suites=[s["suite"] for s in suites]))
        return
    await repo.update_run(job_id, run, status="completed", finished_at=utcnow())
    work.emit(ValidationCompleted(job_id=job_id, run=run, headlines=headlines))
