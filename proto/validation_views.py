"""The validation service's RPC answers (services/validation): what the gateway passes to the
console and the packaging service reads for the report. Beside proto/validation.py, which holds
the requests and events, to keep each module readable on its own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from proto.validation import ChatTurn


class SuiteView(msgspec.Struct, frozen=True, kw_only=True):
    """One suite's newest result. A suite not yet measured has only the first six fields set:
    the rest stay None rather than read as a measured zero."""

    suite: str
    status: str
    run: int | None
    headline: str
    partial: bool
    rerun_offered: bool
    figures: dict[str, Any] | None = None
    badge: str | None = None
    message: str | None = None
    scored: int | None = None
    failed: int | None = None
    total: int | None = None
    duration_s: float | None = None
    judge_prompt_id: str | None = None
    rubric: dict[str, Any] | None = None  # brand voice: the rubric fixed when scoring began


class JudgeUsage(msgspec.Struct, frozen=True, kw_only=True):
    """The judge model, and its calls and tokens over every run of the job."""

    model: str | None
    calls: int
    prompt_tokens: int
    completion_tokens: int


class ReviewCounts(msgspec.Struct, frozen=True, kw_only=True):
    open: int
    total: int


class ValidationView(msgspec.Struct, frozen=True, kw_only=True):
    """GetValidation's answer: the newest run, and every suite (in SUITES order)."""

    job_id: uuid.UUID
    run: int  # 0: not started
    status: str
    message: str
    scorer: str  # "judge" or "review"
    judge: JudgeUsage
    review: ReviewCounts
    suites: list[SuiteView]


class RerunAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """RerunValidation's answer: suites rescored from stored answers now, and those a
    validation-only attempt will measure with the model."""

    job_id: uuid.UUID
    run: int
    rescoring: list[str]
    measuring: list[str]


class ReviewProgress(msgspec.Struct, frozen=True, kw_only=True):
    scored: int
    total: int


class ReviewScenario(msgspec.Struct, frozen=True, kw_only=True):
    system_prompt: str
    history: list[ChatTurn]
    user_input: str


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    """What a reviewer sees: the conversation and the answers under their letters, no more."""

    item_id: uuid.UUID
    suite: str
    lease_until: datetime | None
    scenario: ReviewScenario
    answers: dict[str, str | None]  # "A" (and "B" for EI): which is the trained model is not said
    score_on: list[str]
    avoid: list[str]
    scale: tuple[int, int]
    progress: ReviewProgress


class NextReview(msgspec.Struct, frozen=True, kw_only=True):
    """NextReviewItem's answer: an item leased to the reviewer, or None and why."""

    item: ReviewItem | None
    progress: ReviewProgress
    message: str = ""


class ReviewSaved(msgspec.Struct, frozen=True, kw_only=True):
    item_id: uuid.UUID
    saved: bool
    suite_progress: ReviewProgress
