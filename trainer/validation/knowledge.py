"""UJ5.2.3: knowledge retention — 100 financial multiple-choice questions, base against trained.

No generation and no judge: each choice is scored by the log-likelihood the model gives it as
the answer to the question (the question a user turn, the choice the assistant's reply, rendered
with the model's chat template as training renders a pair), and the model's pick is the choice
it finds likeliest. The questions are a versioned data file written for this project
(financial_knowledge_v1.json); a new set is a new file and a new version, so results stay
comparable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec

from libs.common.training_format import TrainingPair
from proto.validation import KnowledgeDetail, QuestionPick
from trainer.data import Example, build_example
from trainer.validation import likelihood, standard
from trainer.validation.context import Context

QUESTIONS_FILE = Path(__file__).with_name("financial_knowledge_v1.json")
QUESTIONS_PER_REPORT = 25  # progress after this many questions per model
MAX_LEN = 512  # a question and one choice are far shorter; a bound all the same


class Question(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    topic: str
    question: str
    choices: Annotated[list[str], msgspec.Meta(min_length=4, max_length=4)]
    answer: Annotated[int, msgspec.Meta(ge=0, le=3)]


class QuestionSet(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    questions: list[Question]
    about: str = ""


def load_questions(path: Path = QUESTIONS_FILE) -> QuestionSet:
    return msgspec.json.decode(path.read_bytes(), type=QuestionSet)


def choice_examples(question: Question, tokenizer: object) -> list[Example]:
    """One example per choice: the question as the user's turn, the choice as the reply; only
    the reply's tokens (and its end-of-turn token) are scored."""
    return [build_example(TrainingPair(
        id=f"{question.id}:{i}", conversation_id=question.id, turn_number=1, system_prompt="",
        history=[], current_user_input=question.question, target_response=choice),
        tokenizer, MAX_LEN)[0] for i, choice in enumerate(question.choices)]


def pick(scored: list[tuple[float, int]]) -> int:
    """The choice with the lowest mean NLL per token. Length-normalised because a summed
    log-likelihood falls with every token: a long, right answer ("Weakly or negatively
    correlated with each other") would lose to a short, wrong one ("Identical every year") for
    being long. Per token, the score says how well the text fits the question, not how short it
    is (lm-evaluation-harness's acc_norm does the same by byte length)."""
    means = [total / count if count else float("inf") for total, count in scored]
    return min(range(len(means)), key=means.__getitem__)


def picks(ctx: Context, questions: list[Question], trained: bool) -> list[int]:
    label = "trained" if trained else "base"
    out: list[int] = []
    with likelihood.adapter(ctx.model, trained):
        for start in range(0, len(questions), QUESTIONS_PER_REPORT):
            chunk = questions[start:start + QUESTIONS_PER_REPORT]
            examples = [e for q in chunk for e in choice_examples(q, ctx.tokenizer)]
            scored = likelihood.sequence_nll(ctx.model, examples, ctx.pad_id, ctx.device)
            out += [pick(scored[i:i + 4]) for i in range(0, len(scored), 4)]
            ctx.progress(f"knowledge retention: {start + len(chunk)} of {len(questions)} "
                         f"questions answered by the {label} model")
    return out


def accuracy(chosen: list[int], questions: list[Question]) -> float:
    right = sum(c == q.answer for c, q in zip(chosen, questions, strict=True))
    return right / len(questions) if questions else 0.0


def measure(ctx: Context, question_set: QuestionSet | None = None) -> KnowledgeDetail:
    question_set = question_set or load_questions()
    questions = question_set.questions
    base, trained = picks(ctx, questions, False), picks(ctx, questions, True)
    return KnowledgeDetail(
        questions_version=question_set.version, base_accuracy=accuracy(base, questions),
        trained_accuracy=accuracy(trained, questions),
        questions=[QuestionPick(id=q.id, topic=q.topic, answer=q.answer, base_choice=b,
                                trained_choice=t)
                   for q, b, t in zip(questions, base, trained, strict=True)],
        standard=standard.measure(ctx))
