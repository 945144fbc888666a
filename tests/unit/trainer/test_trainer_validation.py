"""Stage 5 in the trainer: the four suites measured on the tiny Llama, base against trained."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest
import torch
from trainer_testkit import events, load_spec, make_job, run_in_process, training_file

from libs.common.storage import open_store
from proto.training import Completed, LoraSettings, StageChanged, SuiteMeasured
from proto.validation import (
    SUITES,
    AnswersDetail,
    KnowledgeDetail,
    PerplexityDetail,
    SuiteDetail,
    ValidationPlan,
)
from trainer import loop, model
from trainer.batching import collate
from trainer.report import FileSink, Reporter
from trainer.validation import knowledge, runner
from trainer.validation.context import Context

SMALL_PLAN = {"ei_scenarios": 3, "brand_voice_answers": 4, "max_new_tokens": 8, "seed": 5}


def with_validation(spec: Path, **plan: Any) -> Path:
    raw = json.loads(spec.read_text())
    raw["validation"] = plan
    spec.write_text(json.dumps(raw))
    return spec


def details(root: Path) -> dict[str, tuple[SuiteMeasured, SuiteDetail | None]]:
    store = open_store((root / "store").as_uri())
    out = {}
    for event in events(root):
        if isinstance(event, SuiteMeasured):
            detail = None
            if event.ok:
                body = store.get_bytes(event.detail_key)
                assert hashlib.sha256(body).hexdigest() == event.detail_sha256
                detail = msgspec.json.decode(body, type=SuiteDetail)
            out[event.suite] = (event, detail)
    return out


def test_a_trained_job_is_validated_base_against_trained(tmp_path: Path) -> None:
    # Repetitive data: held-out conversations are made of the same words as the training ones.
    spec = with_validation(make_job(tmp_path, training_file(conversations=10, turns=5),
                                    epochs=3, learning_rate=3e-3), **SMALL_PLAN)

    assert run_in_process(spec) == 0

    seen = events(tmp_path)
    measured = details(tmp_path)
    assert list(measured) == list(SUITES)
    assert all(event.ok for event, _ in measured.values()), [e.message for e, _ in measured.values()]
    assert isinstance(seen[-1], Completed) and seen[-1].steps > 0
    assert any(isinstance(e, StageChanged) and e.stage == "validating" for e in seen)
    assert all(e.detail_key.startswith("jobs/test/validation/attempt-1/")
               for e, _ in measured.values())

    ppl = measured["perplexity"][1]
    assert isinstance(ppl, PerplexityDetail) and ppl.examples > 0 and ppl.target_tokens > 0
    assert ppl.trained_loss < ppl.base_loss and ppl.trained_perplexity < ppl.base_perplexity
    # The trained figure is the loop's own last evaluation of the same held-out set.
    assert ppl.trained_loss == pytest.approx(seen[-1].final_val_loss, rel=1e-4)

    ei = measured["emotional_intelligence"][1]
    assert isinstance(ei, AnswersDetail) and len(ei.scenarios) == 3
    for scenario in ei.scenarios:
        assert scenario.base_answer is not None and scenario.reference
        assert 0 < scenario.trained_answer_tokens <= 8 and scenario.base_answer_tokens <= 8
        assert scenario.trained_reference_nll < scenario.base_reference_nll
    held_out = {s.conversation_id for s in ei.scenarios}
    trained_on = {e.conversation_id for e in _prepared(spec).train}
    assert not held_out & trained_on

    voice = measured["brand_voice"][1]
    assert isinstance(voice, AnswersDetail) and len(voice.scenarios) == 4
    assert all(s.base_answer is None for s in voice.scenarios)
    assert voice.consultant_profile == {"name": "Test Advisor"}
    # The same seed orders the scenarios: EI's three are the start of brand voice's four, with
    # the answers EI already generated.
    assert [(s.scenario_id, s.trained_answer) for s in voice.scenarios[:3]] == \
        [(s.scenario_id, s.trained_answer) for s in ei.scenarios]

    knowing = measured["knowledge_retention"][1]
    assert isinstance(knowing, KnowledgeDetail) and len(knowing.questions) == 100
    assert knowing.questions_version == "financial-knowledge-v1"
    assert 0.0 <= knowing.base_accuracy <= 1.0 and 0.0 <= knowing.trained_accuracy <= 1.0

    # A re-run on a fresh instance: the stored adapter, no training, the same trained figure.
    again = tmp_path / "rerun"
    again.mkdir()
    raw = json.loads(spec.read_text())
    raw.update(attempt=2, webhook_url=(again / "events.jsonl").as_uri(),
               validation={"suites": ["perplexity"], "adapter_key": seen[-1].adapter_key})
    (again / "spec.json").write_text(json.dumps(raw))
    (again / "store").symlink_to(tmp_path / "store")

    assert run_in_process(again / "spec.json") == 0

    rerun = details(again)
    assert list(rerun) == ["perplexity"]
    assert rerun["perplexity"][0].detail_key == "jobs/test/validation/attempt-2/perplexity.json"
    assert rerun["perplexity"][1].trained_loss == pytest.approx(ppl.trained_loss, rel=1e-5)
    assert rerun["perplexity"][1].base_loss == pytest.approx(ppl.base_loss, rel=1e-5)
    last = events(again)[-1]
    assert isinstance(last, Completed) and last.steps == 0
    assert last.adapter_key == seen[-1].adapter_key


def _prepared(spec_path: Path) -> Any:
    from trainer import recipe

    spec = load_spec(spec_path)
    # The preprocessing events of this second read go to a file of their own, not the job's.
    reporter = Reporter(spec, sink=FileSink(spec_path.parent / "reread-events.jsonl"))
    return recipe.read_data(spec, open_store(spec.storage.url), reporter)[2]


def tiny_lora(tokenizer: Any) -> Any:
    base = model.load_base(None, tokenizer, "cpu", False)
    return model.attach_lora(base, LoraSettings(r=8, alpha=16, dropout=0.0), 3, "cpu", False)


def context(peft_model: Any, tokenizer: Any, **fields: Any) -> Context:
    fields = {"val": [], "held_out": [], **fields}
    return Context(model=peft_model, tokenizer=tokenizer, device="cpu",
                   plan=ValidationPlan(**SMALL_PLAN), max_seq_len=256, **fields)


def test_the_multiple_choice_scorer_picks_what_the_model_was_trained_to_prefer(
        tokenizer: Any) -> None:
    questions = knowledge.load_questions().questions[:3]
    lora = tiny_lora(tokenizer)
    ctx = context(lora, tokenizer)
    base = knowledge.picks(ctx, questions, trained=False)
    # Teach each question a choice the base model does not pick.
    taught = [(b + 1) % 4 for b in base]
    examples = [knowledge.choice_examples(q, tokenizer)[t] for q, t in zip(questions, taught,
                                                                          strict=True)]
    optimizer = torch.optim.AdamW(model.trainable_parameters(lora), lr=1e-2)
    lora.train()
    for _ in range(30):
        summed, count = loop.loss_sum(lora, collate(examples, tokenizer.pad_token_id))
        (summed / count).backward()
        optimizer.step()
        optimizer.zero_grad()
    lora.eval()

    assert knowledge.picks(ctx, questions, trained=True) == taught
    assert knowledge.picks(ctx, questions, trained=False) == base  # adapter off: the base again


def test_a_failing_suite_is_reported_and_the_others_still_run(tmp_path: Path,
                                                               tokenizer: Any) -> None:
    from trainer.report import Reporter

    spec = load_spec(make_job(tmp_path))
    store = open_store(spec.storage.url)
    # No held-out pairs: the answer suites have nothing to answer; perplexity and knowledge do.
    prepared = _prepared(tmp_path / "spec.json")
    ctx = context(tiny_lora(tokenizer), tokenizer, val=prepared.val)
    reporter = Reporter(spec)
    try:
        results = runner.run_suites(ctx, store, spec.output_prefix, 1, reporter)
    finally:
        reporter.close()

    by_suite = {r.suite: r for r in results}
    assert list(by_suite) == list(SUITES)
    assert by_suite["perplexity"].ok and by_suite["knowledge_retention"].ok
    for suite in ("emotional_intelligence", "brand_voice"):
        failed = by_suite[suite]
        assert not failed.ok and failed.detail_key is None
        assert failed.message.startswith("no held-out scenarios: ")
    assert not store.exists(runner.detail_key(spec.output_prefix, 1, "brand_voice"))
    for ok in (by_suite["perplexity"], by_suite["knowledge_retention"]):
        body = store.get_bytes(ok.detail_key)
        assert hashlib.sha256(body).hexdigest() == ok.detail_sha256
    assert [e.suite for e in events(tmp_path) if isinstance(e, SuiteMeasured)] == list(SUITES)


def test_the_question_file_is_well_formed() -> None:
    question_set = knowledge.load_questions()
    questions = question_set.questions

    assert question_set.version == "financial-knowledge-v1"
    assert len(questions) == 100
    assert len({q.id for q in questions}) == 100
    assert len({q.question for q in questions}) == 100
    assert all(len(set(q.choices)) == 4 and 0 <= q.answer < 4 for q in questions)
    topics = Counter(q.topic for q in questions)
    assert len(topics) >= 8 and max(topics.values()) <= 15
    positions = Counter(q.answer for q in questions)
    assert set(positions) == {0, 1, 2, 3} and min(positions.values()) >= 15


def test_once_the_instance_is_stopping_the_suites_left_are_reported_not_measured(
        tmp_path: Path, tokenizer: Any) -> None:
    from trainer.report import Reporter

    spec = load_spec(make_job(tmp_path))
    ctx = context(tiny_lora(tokenizer), tokenizer,
                  val=_prepared(tmp_path / "spec.json").val)
    asked = []

    def stopping() -> bool:  # SIGTERM lands while the first suite runs
        asked.append(True)
        return len(asked) > 1

    reporter = Reporter(spec)
    try:
        results = runner.run_suites(ctx, open_store(spec.storage.url), spec.output_prefix, 1,
                                    reporter, stopping=stopping)
    finally:
        reporter.close()

    assert [(r.suite, r.ok) for r in results] == [(s, s == "perplexity") for s in SUITES]
    assert all("stopped before this suite ran" in r.message for r in results[1:])
