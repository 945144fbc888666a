"""Validation (stage 5): the four suites that prove a trained model, base against trained.

Two halves, two owners:
- what the trainer measures where the model already is (UJ5.2.x model work): the plan it is
  given in its job spec, and each suite's detail, written as JSON to object storage and
  announced by the `SuiteMeasured` trainer event (proto/training.py) with its key and sha256;
- what the validation service makes of it: judge or human scores, badges, the summary, and
  the events and queries of the `validation.>` stream (below the line).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.base import Message

SuiteName = Literal["perplexity", "emotional_intelligence", "knowledge_retention", "brand_voice"]
SUITES: tuple[SuiteName, ...] = ("perplexity", "emotional_intelligence", "knowledge_retention",
                                 "brand_voice")
# Suites whose figures need the model (the trainer measures them); the judge-scored ones need
# its answers too, so only their scoring can be redone without an instance.
MODEL_SUITES: frozenset[str] = frozenset(SUITES)


class ValidationPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What the trainer measures after training (or, with `adapter_key`, instead of it)."""

    suites: list[SuiteName] = msgspec.field(default_factory=lambda: list(SUITES))
    ei_scenarios: Annotated[int, msgspec.Meta(ge=1, le=50)] = 50  # UJ5.2.2: up to 50 held out
    brand_voice_answers: Annotated[int, msgspec.Meta(ge=1, le=30)] = 30  # UJ5.2.4
    max_new_tokens: Annotated[int, msgspec.Meta(ge=8, le=1024)] = 256
    seed: int = 42
    # A re-run on a new instance: validate this stored adapter, train nothing.
    adapter_key: str | None = None
    # UJ5.2.3's option: standard benchmarks (lm-evaluation-harness task names, e.g.
    # ["mmlu_econometrics", "arc_easy"]) measured beside the 100 questions. They need the
    # `benchmarks` extra and the hub for their data, or task YAMLs in `lm_eval_include_path`
    # (a directory on the trainer's machine) with local data files.
    lm_eval_tasks: list[str] = msgspec.field(default_factory=list)
    lm_eval_include_path: str | None = None
    lm_eval_limit: Annotated[int, msgspec.Meta(ge=1)] | None = None  # documents per task


# --- What the trainer measures (one detail document per suite, in object storage) ---------------


class Decoding(msgspec.Struct, frozen=True, kw_only=True):
    """The decoding both models answered with, so a reader can reproduce an answer."""

    seed: int
    max_new_tokens: int
    do_sample: bool = False


class PerplexityDetail(msgspec.Struct, frozen=True, kw_only=True, tag="perplexity"):
    """UJ5.2.1: mean loss over the held-out target tokens, base (adapter off) and trained."""

    examples: int
    target_tokens: int
    base_loss: float
    trained_loss: float
    base_perplexity: float
    trained_perplexity: float


class ChatTurn(msgspec.Struct, frozen=True):
    role: str
    content: str


class ScenarioAnswers(msgspec.Struct, frozen=True, kw_only=True):
    """One held-out scenario: what the client said in context, the expert reply, both answers."""

    scenario_id: str  # the training pair's id
    conversation_id: str
    system_prompt: str
    history: list[ChatTurn]
    user_input: str
    reference: str  # the expert (target) response
    base_answer: str | None  # None where the suite answers with the trained model only
    trained_answer: str
    # Judge-free signals (never the EI score): mean negative log-likelihood per target token
    # of the expert response under each model.
    base_reference_nll: float | None = None
    trained_reference_nll: float | None = None
    base_answer_tokens: int = 0
    trained_answer_tokens: int = 0


class AnswersDetail(msgspec.Struct, frozen=True, kw_only=True, tag="answers"):
    """UJ5.2.2 / UJ5.2.4: answers to held-out scenarios, for a judge or human reviewers."""

    suite: Literal["emotional_intelligence", "brand_voice"]
    decoding: Decoding
    scenarios: list[ScenarioAnswers]
    # brand_voice: the training file's consultant_profile, the default rubric's source.
    consultant_profile: dict | None = None


class QuestionPick(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    topic: str
    answer: int  # index of the right choice
    base_choice: int
    trained_choice: int


class StandardTaskResult(msgspec.Struct, frozen=True, kw_only=True):
    """One lm-evaluation-harness task, base against trained; `error` (and no figures) where it
    could not run: lm-eval not installed, the hub unreachable, an unknown task."""

    task: str
    metric: str = ""  # "acc_norm" where the task reports it (length-fair), else "acc"
    base: float | None = None  # 0–1
    trained: float | None = None
    retention: float | None = None  # trained / base; None where the base scored 0
    documents: int = 0
    error: str = ""


class KnowledgeDetail(msgspec.Struct, frozen=True, kw_only=True, tag="knowledge"):
    """UJ5.2.3: multiple choice scored by each choice's log-likelihood, base and trained."""

    questions_version: str
    base_accuracy: float
    trained_accuracy: float
    questions: list[QuestionPick]
    standard: list[StandardTaskResult] = msgspec.field(default_factory=list)  # plan.lm_eval_tasks


SuiteDetail = PerplexityDetail | AnswersDetail | KnowledgeDetail


# --- What the validation service makes of it (the `validation.>` stream and its RPCs) ------------
# (H2's half: events on the bus, queries and commands the gateway sends, and the views it answers.)

SuiteStatus = Literal["pending", "measuring", "scoring", "awaiting_review", "completed", "failed",
                      "partial"]
RunStatus = Literal["requested", "measuring", "scoring", "awaiting_review", "completed", "failed"]
Scorer = Literal["judge", "review"]
EI_DIMENSIONS: tuple[str, ...] = ("empathy", "clarity", "appropriateness")
# Scores 1–5 on every dimension and rubric characteristic (UJ5.2.2, UJ5.2.4).
Score = Annotated[int, msgspec.Meta(ge=1, le=5)]


class SuiteHeadline(msgspec.Struct, frozen=True, kw_only=True):
    """One suite's outcome in a sentence: what a notification or a summary card shows."""

    suite: SuiteName
    status: SuiteStatus
    badge: str | None = None
    headline: str  # e.g. "31.4% lower perplexity (24.5 → 16.8)"


class ValidationStarted(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "validation.run.started.v1"
    job_id: uuid.UUID
    run: int
    attempt: int | None = None  # the trainer attempt measuring it; None: rescoring only
    suites: list[SuiteName] = msgspec.field(default_factory=list)  # empty: as measured


class ValidationProgressed(Message, frozen=True, kw_only=True):
    """A suite moved on: measured, scored another scenario, waiting for reviewers."""

    subject: ClassVar[str] = "validation.run.progressed.v1"
    job_id: uuid.UUID
    run: int
    suite: SuiteName
    status: SuiteStatus
    scored: int = 0
    failed: int = 0
    total: int = 0
    message: str = ""


class ValidationSuiteCompleted(Message, frozen=True, kw_only=True):
    """A suite reached its result (completed, partial or failed)."""

    subject: ClassVar[str] = "validation.suite.completed.v1"
    job_id: uuid.UUID
    run: int
    result: SuiteHeadline


class ValidationCompleted(Message, frozen=True, kw_only=True):
    """Every suite of a run has its result: the headline figures travel with it."""

    subject: ClassVar[str] = "validation.run.completed.v1"
    job_id: uuid.UUID
    run: int
    headlines: list[SuiteHeadline]


class ValidationFailed(Message, frozen=True, kw_only=True):
    """No suite of a run produced a result. The adapter is untouched; a re-run is offered."""

    subject: ClassVar[str] = "validation.run.failed.v1"
    job_id: uuid.UUID
    run: int
    reason: str
    rerun_suites: list[SuiteName] = msgspec.field(default_factory=list)


class ValidationRunRequested(Message, frozen=True, kw_only=True):
    """A re-run needs the model: the jobs service queues a validation-only attempt with
    `ValidationPlan(adapter_key=adapter_key, suites=suites)`."""

    subject: ClassVar[str] = "validation.run.requested.v1"
    job_id: uuid.UUID
    run: int
    adapter_key: str
    suites: list[SuiteName]


# --- Requests (rpc.validation.*) -----------------------------------------------------------------


class GetValidation(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.validation.get"
    job_id: uuid.UUID


class RerunValidation(msgspec.Struct, frozen=True, kw_only=True):
    """EI and brand voice are rescored from their stored answers; anything needing the model
    (perplexity, knowledge, or `regenerate` answers) asks the jobs service for an attempt."""

    subject: ClassVar[str] = "rpc.validation.rerun"
    job_id: uuid.UUID
    suites: list[str]  # checked against SUITES by the service: an unknown one is a 422
    regenerate: bool = False


class NextReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    """Lease the next unscored item of a job to `reviewer` (the same one again if it holds one)."""

    subject: ClassVar[str] = "rpc.validation.review_next"
    job_id: uuid.UUID
    reviewer: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class ReviewScores(msgspec.Struct, frozen=True, kw_only=True):
    """Scores of one answer: per EI dimension, or per rubric characteristic for brand voice,
    and (brand voice) which of the profile's `avoid` items the answer does."""

    scores: dict[str, int]
    violations: list[str] = msgspec.field(default_factory=list)


class SubmitReview(msgspec.Struct, frozen=True, kw_only=True):
    """Answers are named only "A" and "B", as the reviewer saw them; brand voice has "A" only."""

    subject: ClassVar[str] = "rpc.validation.review_submit"
    job_id: uuid.UUID
    item_id: uuid.UUID
    reviewer: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    answers: dict[str, ReviewScores]


class RubricCharacteristic(msgspec.Struct, frozen=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    description: str = ""


class UploadRubric(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.validation.rubric_upload"
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    characteristics: list[RubricCharacteristic]  # exactly 10 distinct (UJ5.2.4)
    avoid: list[str] = msgspec.field(default_factory=list)  # scored as violations


class ListRubrics(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.validation.rubric_list"


class ChooseRubric(msgspec.Struct, frozen=True, kw_only=True):
    """Score this job's brand voice with an uploaded rubric (None: back to the default)."""

    subject: ClassVar[str] = "rpc.validation.rubric_choose"
    job_id: uuid.UUID
    rubric_id: uuid.UUID | None = None


class GetRubric(msgspec.Struct, frozen=True, kw_only=True):
    """The rubric a job's brand voice is (or will be) scored with."""

    subject: ClassVar[str] = "rpc.validation.rubric_get"
    job_id: uuid.UUID


class Rubric(msgspec.Struct, frozen=True, kw_only=True):
    rubric_id: uuid.UUID | None = None  # None: built from the profile, not stored
    name: str
    source: Literal["uploaded", "consultant_profile", "generic"]
    characteristics: list[RubricCharacteristic]
    avoid: list[str] = msgspec.field(default_factory=list)
    created_at: datetime | None = None
