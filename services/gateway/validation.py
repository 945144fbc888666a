"""Validation (UJ5.2.x): a job's suites and figures, re-runs, blind review and brand-voice
rubrics. The validation service owns all of it; this asks it over the bus, and pushes its
progress to the job's websocket."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from faststream.nats import NatsMessage
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery

from proto.base import decode, to_builtins
from proto.validation import (
    ChooseRubric,
    GetRubric,
    GetValidation,
    ListRubrics,
    NextReviewItem,
    RerunValidation,
    ReviewScores,
    Rubric,
    RubricCharacteristic,
    SubmitReview,
    UploadRubric,
    ValidationCompleted,
    ValidationFailed,
    ValidationProgressed,
    ValidationStarted,
    ValidationSuiteCompleted,
)
from proto.validation_views import NextReview, RerunAccepted, ReviewSaved, ValidationView
from services.gateway.bus import GatewayBus

# Event → the websocket frame's `type`.
LIVE_EVENTS: dict[type, str] = {
    ValidationStarted: "validation_started", ValidationProgressed: "validation_progress",
    ValidationSuiteCompleted: "validation_suite_completed",
    ValidationCompleted: "validation_completed", ValidationFailed: "validation_failed",
}
Reviewer = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


def feed_validation(bus: GatewayBus) -> None:
    """Push validation events to the job's live channel (call before the bus starts)."""
    for event_type, frame_type in LIVE_EVENTS.items():
        _subscribe(bus, event_type, frame_type)


def _subscribe(bus: GatewayBus, event_type: type, frame_type: str) -> None:
    async def on_event(msg: NatsMessage) -> None:
        event = decode(msg.body, event_type)
        bus._push(event.job_id, {"type": frame_type, "data": to_builtins(event)})

    on_event.__name__ = f"on_{frame_type}"
    bus.broker.subscriber(event_type.subject, no_reply=True)(on_event)


class RerunBody(msgspec.Struct, frozen=True, kw_only=True):
    suites: list[str]
    regenerate: bool = False  # EI / brand voice: answer again with the model, not just rescore


class ReviewBody(msgspec.Struct, frozen=True, kw_only=True):
    reviewer: Reviewer
    answers: dict[str, ReviewScores]  # "A" (and "B" for EI), as shown


class RubricBody(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    characteristics: list[RubricCharacteristic]
    avoid: list[str] = msgspec.field(default_factory=list)


class ChooseRubricBody(msgspec.Struct, frozen=True, kw_only=True):
    rubric_id: uuid.UUID | None = None  # null: back to the default from the profile


class ValidationController(Controller):
    path = "/"
    tags = ["validation"]

    @get("/jobs/{job_id:uuid}/validation")
    async def get_validation(self, job_id: uuid.UUID,
                             bus: NamedDependency[GatewayBus]) -> ValidationView:
        """Per suite: status, figures, badge, partial flag, examples; the judge and run number."""
        return msgspec.convert(await bus.ask(GetValidation(job_id=job_id)), ValidationView)

    @post("/jobs/{job_id:uuid}/validation/rerun", status_code=202)
    async def rerun(self, job_id: uuid.UUID, data: RerunBody,
                    bus: NamedDependency[GatewayBus]) -> RerunAccepted:
        """Re-run suites: EI and brand voice are rescored from stored answers; the others
        (or `regenerate`) queue a validation-only attempt on the job's adapter."""
        answer = await bus.ask(RerunValidation(job_id=job_id, suites=data.suites,
                                               regenerate=data.regenerate))
        return msgspec.convert(answer, RerunAccepted)

    @get("/jobs/{job_id:uuid}/validation/review/next")
    async def next_review_item(self, job_id: uuid.UUID, reviewer: FromQuery[Reviewer],
                               bus: NamedDependency[GatewayBus]) -> NextReview:
        """The next item for this reviewer, its answers as "A"/"B" only."""
        return msgspec.convert(await bus.ask(NextReviewItem(job_id=job_id, reviewer=reviewer)),
                               NextReview)

    @post("/jobs/{job_id:uuid}/validation/review/{item_id:uuid}", status_code=200)
    async def submit_review(self, job_id: uuid.UUID, item_id: uuid.UUID, data: ReviewBody,
                            bus: NamedDependency[GatewayBus]) -> ReviewSaved:
        answer = await bus.ask(SubmitReview(job_id=job_id, item_id=item_id,
                                            reviewer=data.reviewer, answers=data.answers))
        return msgspec.convert(answer, ReviewSaved)

    @get("/jobs/{job_id:uuid}/validation/rubric")
    async def job_rubric(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> Rubric:
        return await bus.ask(GetRubric(job_id=job_id), Rubric)

    @put("/jobs/{job_id:uuid}/validation/rubric")
    async def choose_rubric(self, job_id: uuid.UUID, data: ChooseRubricBody,
                            bus: NamedDependency[GatewayBus]) -> Rubric:
        return await bus.ask(ChooseRubric(job_id=job_id, rubric_id=data.rubric_id), Rubric)

    @get("/validation/rubrics")
    async def list_rubrics(self, bus: NamedDependency[GatewayBus]) -> list[Rubric]:
        return await bus.ask(ListRubrics(), list[Rubric])

    @post("/validation/rubrics", status_code=201)
    async def upload_rubric(self, data: RubricBody,
                            bus: NamedDependency[GatewayBus]) -> Rubric:
        """Exactly 10 distinct characteristics (422 otherwise); `avoid` scored as violations."""
        return await bus.ask(UploadRubric(name=data.name, characteristics=data.characteristics,
                                          avoid=data.avoid), Rubric)
