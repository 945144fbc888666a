"""Validation service wiring: trainer measurements in; figures, badges, scores and reviews out."""

from __future__ import annotations

from pathlib import Path

from libs.common.batches import one_by_one
from libs.common.bus import rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from libs.common.storage import open_store
from proto.training import TrainingEventReported
from proto.validation import (
    ChooseRubric,
    GetRubric,
    GetValidation,
    ListRubrics,
    NextReviewItem,
    RerunValidation,
    SubmitReview,
    UploadRubric,
)
from services.validation import handlers, reviewing
from services.validation.handlers import Context
from services.validation.judge import Judge
from services.validation.scoring import Scorer


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("validation", settings, Path(__file__).with_name("migrations"))
    broker = runtime.broker
    judged = bool(settings.judge_url)
    ctx = Context(uow=runtime.uow, store=open_store(settings.resolved_storage_url),
                  scorer="judge" if judged else "review",
                  judge_model=(settings.judge_model or "default") if judged else None)

    # The trainer's events share one hot subject; this consumer acts on the few about validation.
    runtime.batches(TrainingEventReported.subject, "validation-on-training-event",
                    TrainingEventReported.unwrap,
                    one_by_one(lambda event: handlers.on_trainer_event(event, ctx)))
    if judged:
        scorer = Scorer(ctx, Judge(settings), settings.judge_concurrency)
        runtime.background(scorer.run, once=True)  # suites are not claimed: one scorer

    @rpc(broker, GetValidation)
    async def get_validation(q: GetValidation):
        return await handlers.get_validation(q, ctx)

    @rpc(broker, RerunValidation)
    async def rerun_validation(cmd: RerunValidation):
        return await handlers.rerun(cmd, ctx)

    @rpc(broker, NextReviewItem)
    async def next_review_item(q: NextReviewItem):
        return await reviewing.next_item(q, ctx, settings.review_lease_s)

    @rpc(broker, SubmitReview)
    async def submit_review(cmd: SubmitReview):
        return await reviewing.submit(cmd, ctx)

    @rpc(broker, UploadRubric)
    async def upload_rubric(cmd: UploadRubric):
        return await reviewing.upload_rubric(cmd, ctx)

    @rpc(broker, ListRubrics)
    async def list_rubrics(q: ListRubrics):
        return await reviewing.list_rubrics(q, ctx)

    @rpc(broker, ChooseRubric)
    async def choose_rubric(cmd: ChooseRubric):
        return await reviewing.choose_rubric(cmd, ctx)

    @rpc(broker, GetRubric)
    async def get_rubric(q: GetRubric):
        return await reviewing.get_rubric(q, ctx)

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
