"""The judge's background scorer: every suite in `scoring`, one scenario at a time, persisted.

Each scenario's outcome (a score, or a failure after the judge's bounded retries) commits in its
own transaction with the judge calls it cost. The `scores` table's key is the unit of resume: a
service killed mid-suite starts again on the scenarios without a row, and nothing is scored
twice. One scorer per deployment is assumed; a second would only waste judge calls (the key
still keeps each scenario's first outcome).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from libs.common.polling import drain_forever
from proto.validation import Rubric, ScenarioAnswers, ValidationProgressed
from services.validation import suites as suite_flow
from services.validation.handlers import Context
from services.validation.judge import Judge, JudgeError, Tally
from services.validation.repository import Validation
from services.validation.suites import DetailError, load_detail, scenarios_of

log = logging.getLogger(__name__)


class Scorer:
    def __init__(self, ctx: Context, judge: Judge, concurrency: int, poll_s: float = 1.0) -> None:
        self.ctx = ctx
        self.judge = judge
        self.concurrency = max(1, concurrency)
        self.poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            await drain_forever(self.score_pending, self._wake, self.poll_s, "validation scorer")
        finally:
            await self.judge.close()

    async def score_pending(self) -> int:
        """One pass over the suites waiting for the judge; returns how much it moved on."""
        async with self.ctx.uow(snapshot=True) as work:
            rows = await Validation(work.conn).suites_to_judge()
        moved = 0
        for row in rows:
            moved += await self._score_suite(row)
        return moved

    async def _score_suite(self, row: dict[str, Any]) -> int:
        job_id, run, suite = row["job_id"], row["run"], row["suite"]
        try:
            detail = await load_detail(self.ctx.store, suite, row["detail_key"],
                                       row["detail_sha256"])
        except DetailError as exc:
            async with self.ctx.uow() as work:
                await suite_flow.fail_suite(work, job_id, run, suite, str(exc))
                await suite_flow.advance_run(work, job_id, run)
            return 1
        rubric = msgspec.convert(row["rubric"], Rubric) if row["rubric"] else None
        async with self.ctx.uow(snapshot=True) as work:
            done = {r["scenario_id"] for r in await Validation(work.conn).scores(job_id, run, suite)}
        todo = [s for s in scenarios_of(suite, detail) if s.scenario_id not in done]
        gate = asyncio.Semaphore(self.concurrency)

        async def one(scenario: ScenarioAnswers) -> None:
            async with gate:
                await self._score_one(row, scenario, rubric)

        await asyncio.gather(*(one(s) for s in todo))
        async with self.ctx.uow() as work:
            await Validation(work.conn).lock_job(job_id)
            current = await Validation(work.conn).suite(job_id, run, suite)
            if current and current["status"] == "scoring":
                await suite_flow.finish_scored(work, job_id, run, suite, detail)
                await suite_flow.advance_run(work, job_id, run)
        return len(todo) or 1

    async def _score_one(self, row: dict[str, Any], scenario: ScenarioAnswers,
                         rubric: Rubric | None) -> None:
        tally, score, error = Tally(), None, ""
        try:
            if row["suite"] == "brand_voice":
                score = await self.judge.score_brand(scenario, rubric, tally)
            else:
                score = await self.judge.score_pair(scenario, tally)
        except JudgeError as exc:
            error = str(exc)
            log.warning("judge: %s %s scenario %s not scored: %s", row["job_id"], row["suite"],
                        scenario.scenario_id, error)
        job_id, run, suite = row["job_id"], row["run"], row["suite"]
        async with self.ctx.uow() as work:
            repo = Validation(work.conn)
            await repo.add_usage(job_id, run, tally.calls, tally.prompt_tokens,
                                 tally.completion_tokens)
            if not await repo.add_score(job_id, run, suite, scenario.scenario_id, score is not None,
                                        msgspec.to_builtins(score), error, "judge"):
                return
            counts = await repo.count_outcome(job_id, run, suite, score is not None)
            work.emit(ValidationProgressed(
                job_id=job_id, run=run, suite=suite, status="scoring", scored=counts["scored"],
                failed=counts["failed"], total=counts["total"],
                message=f"{counts['scored'] + counts['failed']} of {counts['total']} judged"))
