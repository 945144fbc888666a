"""UJ5.2.3's option: lm-evaluation-harness tasks beside the 100 questions, tested offline with a
local task (a YAML multiple-choice task over a JSONL file written here) on the tiny Llama."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from proto.validation import KnowledgeDetail, ValidationPlan
from trainer import model
from trainer.validation import knowledge
from trainer.validation.context import Context

NEEDS_LM_EVAL = "lm-eval is the optional 'benchmarks' extra (pip install -e '.[benchmarks]')"
TASK = "brightrun_local_mc"
DOCUMENTS = [
    {"question": "What does diversification reduce?",
     "choices": ["Unsystematic risk", "Inflation", "Taxes", "Interest rates"], "answer": 0},
    {"question": "Which account grows tax-free in the US?",
     "choices": ["A brokerage account", "A Roth IRA", "A checking account", "A CD"], "answer": 1},
    {"question": "A bond's price when rates rise?",
     "choices": ["Rises", "Is unchanged", "Falls", "Doubles"], "answer": 2},
]


def local_task(root: Path) -> Path:
    data = root / "questions.jsonl"
    data.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS))
    (root / f"{TASK}.yaml").write_text(f"""task: {TASK}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: choices
doc_to_target: answer
metric_list:
  - metric: acc
  - metric: acc_norm
""")
    return root


def measure(tokenizer: Any, tasks: list[str], include: Path | None) -> KnowledgeDetail:
    base = model.load_base(None, tokenizer, "cpu", False)
    from proto.training import LoraSettings
    lora = model.attach_lora(base, LoraSettings(r=8, alpha=16, dropout=0.0), 3, "cpu", False)
    lora.eval()
    plan = ValidationPlan(lm_eval_tasks=tasks, seed=5,
                          lm_eval_include_path=str(include) if include else None)
    ctx = Context(model=lora, tokenizer=tokenizer, device="cpu", plan=plan, max_seq_len=256,
                  val=[], held_out=[])
    questions = knowledge.load_questions()
    few = knowledge.QuestionSet(version=questions.version, questions=questions.questions[:2])
    return knowledge.measure(ctx, few)


def test_a_local_task_is_measured_base_against_trained_and_an_unknown_one_fails_alone(
        tmp_path: Path, tokenizer: Any) -> None:
    pytest.importorskip("lm_eval", reason=NEEDS_LM_EVAL)
    detail = measure(tokenizer, ["no_such_task_anywhere", TASK], local_task(tmp_path))

    assert len(detail.questions) == 2  # the suite's own questions still count
    unknown, result = detail.standard
    assert unknown.task == "no_such_task_anywhere" and unknown.error
    assert unknown.base is None and unknown.trained is None
    assert result.task == TASK and result.error == "", result.error
    assert result.metric == "acc_norm" and result.documents == len(DOCUMENTS)
    assert 0.0 <= result.base <= 1.0 and 0.0 <= result.trained <= 1.0
    # Accuracy over 3 documents is a multiple of 1/3.
    assert round(result.base * 3, 6) == round(result.base * 3)
    if result.base > 0:
        assert result.retention == pytest.approx(result.trained / result.base)


def test_without_lm_eval_the_tasks_fail_with_a_plain_message_and_the_questions_count(
        monkeypatch: pytest.MonkeyPatch, tokenizer: Any) -> None:
    # A None entry in sys.modules makes `import lm_eval` raise ImportError, as on a machine
    # installed without the extra.
    for name in [m for m in sys.modules if m == "lm_eval" or m.startswith("lm_eval.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "lm_eval", None)
    detail = measure(tokenizer, ["arc_easy"], None)

    [result] = detail.standard
    assert result.task == "arc_easy" and "not installed" in result.error
    assert result.base is None and len(detail.questions) == 2


def test_the_service_shows_the_standard_tasks_beside_the_retention_verdict() -> None:
    from proto.validation import QuestionPick, StandardTaskResult
    from services.validation.domain import retention_figures

    tasks = [StandardTaskResult(task="arc_easy", metric="acc_norm", base=0.5, trained=0.45,
                                retention=0.9, documents=100),
             StandardTaskResult(task="mmlu_econometrics", error="the hub is unreachable")]
    detail = KnowledgeDetail(questions_version="v", base_accuracy=0.5, trained_accuracy=0.5,
                             questions=[QuestionPick(id="q", topic="t", answer=0, base_choice=0,
                                                     trained_choice=0)], standard=tasks)
    figures = retention_figures(detail)
    assert figures.standard == tasks and figures.verdict == "Passed"
