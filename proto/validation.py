"""Validation (stage 5): the four suites that prove a trained model, base against trained.

Two halves, two owners:
- what the trainer measures where the model already is (UJ5.2.x model work): the plan it is
  given in its job spec, and each suite's detail, written as JSON to object storage and
  announced by the `SuiteMeasured` trainer event (proto/training.py) with its key and sha256;
- what the validation service makes of it: judge or human scores, badges, the summary, and
  the events and queries of the `validation.>` stream (below the line).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

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


class KnowledgeDetail(msgspec.Struct, frozen=True, kw_only=True, tag="knowledge"):
    """UJ5.2.3: multiple choice scored by each choice's log-likelihood, base and trained."""

    questions_version: str
    base_accuracy: float
    trained_accuracy: float
    questions: list[QuestionPick]


SuiteDetail = PerplexityDetail | AnswersDetail | KnowledgeDetail
