"""The validation service against real NATS, PostgreSQL and a file:// store: the trainer's
measurements become figures; the FAKE judge's position bias cancels; failures are partial,
never zero; blind review keeps its labels on the server; a killed scorer resumes; bad input 422."""

from __future__ import annotations

import hashlib
import uuid

import msgspec
import psycopg
import pytest
from fakes.openai_judge import FakeJudge
from support import eventually

from libs.common.storage import open_store
from proto.base import decode, encode
from proto.training import Completed, StageChanged, SuiteMeasured, TrainingEventReported
from proto.validation import (
    AnswersDetail,
    Decoding,
    GetValidation,
    KnowledgeDetail,
    NextReviewItem,
    PerplexityDetail,
    QuestionPick,
    RerunValidation,
    ReviewScores,
    RubricCharacteristic,
    ScenarioAnswers,
    SubmitReview,
    UploadRubric,
    ValidationCompleted,
    ValidationRunRequested,
)
from services.validation.app import build

PROFILE = {"name": "Naomi", "core_philosophy": {"principle_1": "Feelings first: people."},
           "communication_style": {"techniques": ["Validate the feeling"],
                                   "avoid": ["Guaranteed returns"]}}


@pytest.fixture
def judge():
    server = FakeJudge().start()
    yield server
    server.stop()


def judged(judge: FakeJudge, **more) -> dict:
    return {"judge_url": judge.url, "judge_model": "fake-judge", "judge_api_key": "k-test",
            "judge_retry_base_s": 0.01, "judge_max_tries": 2, "judge_timeout_s": 1.0,
            "judge_concurrency": 2, **more}


def scenarios(n: int) -> list[ScenarioAnswers]:
    return [ScenarioAnswers(
        scenario_id=f"pair-{i}", conversation_id=f"c{i}", system_prompt="Be a warm advisor.",
        history=[], user_input=f"Client {i} is worried about debt.",
        reference="I understand how heavy that feels; let's list the debts together.",
        base_answer="List your debts.", trained_answer="I understand. Let's list your debts.",
        base_reference_nll=2.5, trained_reference_nll=1.9, base_answer_tokens=4,
        trained_answer_tokens=7) for i in range(n)]


async def measured(bus, settings, job_id, suite: str, detail, attempt: int = 1,
                   sha: str | None = None) -> None:
    data = msgspec.json.encode(detail)
    key = f"jobs/{job_id}/validation/attempt-{attempt}/{suite}.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    await bus.publish(TrainingEventReported(event=SuiteMeasured(
        job_id=job_id, attempt=attempt, suite=suite, ok=True, duration_s=1.5, detail_key=key,
        detail_sha256=sha or hashlib.sha256(data).hexdigest())))


async def trainer(bus, event) -> None:
    await bus.publish(TrainingEventReported(event=event))


def ei(n: int) -> AnswersDetail:
    return AnswersDetail(suite="emotional_intelligence", decoding=Decoding(seed=1, max_new_tokens=32),
                         scenarios=scenarios(n))


def suite_of(view: dict, name: str) -> dict:
    return next(s for s in view["suites"] if s["suite"] == name)


async def settled(bus, job_id, name: str) -> dict:
    async def done():
        view = await bus.ask(GetValidation(job_id=job_id))
        return view if suite_of(view, name)["status"] in ("completed", "partial", "failed") else None

    return await eventually(done, timeout_s=30)


async def test_measured_suites_become_figures_badges_and_a_completed_run(bus, settings,
                                                                         start_service):
    await start_service(build)
    job = uuid.uuid4()
    await trainer(bus, StageChanged(job_id=job, stage="validating"))
    await measured(bus, settings, job, "perplexity", PerplexityDetail(
        examples=20, target_tokens=900, base_loss=3.2, trained_loss=2.8, base_perplexity=24.5,
        trained_perplexity=16.8))
    picks = [QuestionPick(id=f"q{i}", topic="debt", answer=0, base_choice=0,
                          trained_choice=0 if i else 1) for i in range(20)]
    await measured(bus, settings, job, "knowledge_retention", KnowledgeDetail(
        questions_version="financial-knowledge-v1", base_accuracy=1.0, trained_accuracy=0.95,
        questions=picks))
    await trainer(bus, Completed(job_id=job, adapter_key=f"jobs/{job}/adapter"))
    view = await settled(bus, job, "knowledge_retention")
    perplexity = suite_of(view, "perplexity")
    assert perplexity["figures"]["improvement_pct"] == 31.4
    assert perplexity["badge"] == "Production Ready"
    retention = suite_of(view, "knowledge_retention")
    assert retention["badge"] == "Passed" and retention["figures"]["retention_pct"] == 95.0
    assert [q["id"] for q in retention["figures"]["regressed"]] == ["q0"]
    assert view["run"] == 1
    done = await eventually(lambda: bus.stored(ValidationCompleted.subject))
    event = decode(done[0], ValidationCompleted)
    assert event.job_id == job and {h.suite for h in event.headlines} == {
        "perplexity", "knowledge_retention"}


async def test_a_detail_that_fails_its_checksum_is_unable_to_calculate(bus, settings,
                                                                       start_service):
    await start_service(build)
    job = uuid.uuid4()
    await measured(bus, settings, job, "perplexity", PerplexityDetail(
        examples=1, target_tokens=5, base_loss=1, trained_loss=1, base_perplexity=2,
        trained_perplexity=2), sha="0" * 64)
    suite = suite_of(await settled(bus, job, "perplexity"), "perplexity")
    assert suite["status"] == "failed" and suite["headline"].startswith("Unable to calculate")
    assert suite["rerun_offered"] and suite["figures"] is None


async def test_judging_both_orders_makes_position_bias_vanish(bus, settings, start_service, judge):
    await start_service(build, **judged(judge))
    figures = {}
    for mode in ("normal", "favour_a"):
        judge.mode = mode
        job = uuid.uuid4()
        await measured(bus, settings, job, "emotional_intelligence", ei(4))
        figures[mode] = suite_of(await settled(bus, job, "emotional_intelligence"),
                                 "emotional_intelligence")
    fair, biased = figures["normal"]["figures"], figures["favour_a"]["figures"]
    assert fair["overall"]["base"] == 2.33 and fair["overall"]["trained"] == 4.0
    # The judge added a point to whichever reply came first: both models got it once, so
    # each moved up by half a point and the gap between them, the finding, did not move. Judged
    # in one order (trained second) the gap would have shrunk from 1.67 to 0.67.
    assert biased["overall"]["base"] == 2.83 and biased["overall"]["trained"] == 4.5
    for f, b in zip([fair["overall"], *fair["dimensions"]],
                    [biased["overall"], *biased["dimensions"]], strict=True):
        assert round(b["trained"] - b["base"], 2) == round(f["trained"] - f["base"], 2)
    assert fair["signals"]["trained_answer_tokens"] == 7.0  # lengths beside the scores
    view = await bus.ask(GetValidation(job_id=job))
    assert view["judge"]["model"] == "fake-judge" and view["judge"]["calls"] == 8
    assert view["judge"]["prompt_tokens"] > 0
    assert figures["favour_a"]["judge_prompt_id"] == "ei-pair-v1"
    assert set(judge.authorization) == {"Bearer k-test"}


async def test_judge_failures_make_partial_results_never_zero_scores(bus, settings,
                                                                     start_service, judge):
    await start_service(build, **judged(judge))
    judge.fail_when = "Client 2 "
    job = uuid.uuid4()
    await measured(bus, settings, job, "emotional_intelligence", ei(5))
    suite = suite_of(await settled(bus, job, "emotional_intelligence"), "emotional_intelligence")
    assert suite["status"] == "partial" and suite["partial"]
    assert suite["figures"]["partial"] == "partial: 4 of 5 scored"
    assert suite["figures"]["overall"]["base"] == 2.33  # the failed one did not count as 0
    assert judge.calls.count("Client 2 is worried about debt.") == 2  # retried, then given up

    judge.fail_when, judge.mode = None, "garbage"
    job = uuid.uuid4()
    await measured(bus, settings, job, "emotional_intelligence", ei(2))
    suite = suite_of(await settled(bus, job, "emotional_intelligence"), "emotional_intelligence")
    assert suite["status"] == "failed" and suite["figures"] is None
    assert "unparseable" in suite["message"]


async def test_blind_review_never_shows_which_answer_is_which(bus, settings, start_service):
    await start_service(build)
    job = uuid.uuid4()
    await measured(bus, settings, job, "emotional_intelligence", ei(3))
    await settled_status(bus, job, "awaiting_review")
    first = await bus.ask(NextReviewItem(job_id=job, reviewer="ana"))
    second = await bus.ask(NextReviewItem(job_id=job, reviewer="ben"))
    assert first["item"]["item_id"] != second["item"]["item_id"]  # one reviewer per item
    again = await bus.ask(NextReviewItem(job_id=job, reviewer="ana"))
    assert again["item"]["item_id"] == first["item"]["item_id"]  # progress kept with its holder
    for text in (encode(first), encode(second)):
        assert b"base" not in text.lower() and b"trained" not in text.lower()
    bad = await bus.ask_error(SubmitReview(job_id=job, item_id=uuid.UUID(first["item"]["item_id"]),
                                           reviewer="ana", answers=_as_human(first["item"], 6)))
    assert bad.error.status == 422 and bad.error.how_to_fix
    taken = await bus.ask_error(SubmitReview(
        job_id=job, item_id=uuid.UUID(first["item"]["item_id"]), reviewer="ben",
        answers=_as_human(first["item"])))
    assert taken.error.status == 409
    for reviewer, item in (("ana", first), ("ben", second)):
        await bus.ask(SubmitReview(job_id=job, item_id=uuid.UUID(item["item"]["item_id"]),
                                   reviewer=reviewer, answers=_as_human(item["item"])))
    last = await bus.ask(NextReviewItem(job_id=job, reviewer="ana"))
    await bus.ask(SubmitReview(job_id=job, item_id=uuid.UUID(last["item"]["item_id"]),
                               reviewer="ana", answers=_as_human(last["item"])))
    suite = suite_of(await settled(bus, job, "emotional_intelligence"), "emotional_intelligence")
    assert suite["status"] == "completed"
    assert suite["figures"]["overall"]["base"] == 2.0 and suite["figures"]["overall"]["trained"] == 5.0
    assert (await bus.ask(NextReviewItem(job_id=job, reviewer="ana")))["item"] is None


def _as_human(item: dict, high: int = 5) -> dict:
    """A reviewer who prefers the answer that acknowledges the feeling."""
    return {label: ReviewScores(scores={d: high if "understand" in text.lower() else 2
                                        for d in item["score_on"]})
            for label, text in item["answers"].items()}


async def settled_status(bus, job_id, status: str) -> None:
    async def reached():
        view = await bus.ask(GetValidation(job_id=job_id))
        return suite_of(view, "emotional_intelligence")["status"] == status

    await eventually(reached, timeout_s=20)


async def test_a_scorer_stopped_mid_suite_resumes_without_scoring_twice(bus, settings, judge):
    judge.delay_s = 0.2
    service_settings = msgspec.structs.replace(settings, **judged(judge, judge_concurrency=1))
    runtime = build(service_settings)
    await runtime.start()
    job = uuid.uuid4()
    try:
        await measured(bus, settings, job, "emotional_intelligence", ei(6))
        await eventually(lambda: len(scored_ids(settings, job)) >= 2, timeout_s=30)
    finally:
        await runtime.stop()
    before = scored_ids(settings, job)
    calls_before = len(judge.calls)
    runtime = build(service_settings)
    await runtime.start()
    try:
        suite = suite_of(await settled(bus, job, "emotional_intelligence"), "emotional_intelligence")
    finally:
        await runtime.stop()
    assert suite["status"] == "completed" and suite["scored"] == 6
    assert len(scored_ids(settings, job)) == 6
    resumed = judge.calls[calls_before:]
    assert not any(f"Client {s.split('-')[1]} " in c for s in before for c in resumed)


def scored_ids(settings, job_id) -> set[str]:
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("SELECT scenario_id FROM validation.scores WHERE job_id = %s",
                            (job_id,)).fetchall()
    return {r[0] for r in rows}


async def test_bad_rubric_and_unknown_suite_are_422_and_a_rescore_is_a_new_run(
        bus, settings, start_service, judge):
    await start_service(build, **judged(judge))
    short = [RubricCharacteristic(name=f"C{i}") for i in range(9)]
    error = await bus.ask_error(UploadRubric(name="mine", characteristics=short))
    assert error.error.status == 422 and error.error.code == "invalid_rubric"
    job = uuid.uuid4()
    error = await bus.ask_error(RerunValidation(job_id=job, suites=["vibes"]))
    assert error.error.status == 422 and "perplexity" in error.error.how_to_fix
    brand = AnswersDetail(suite="brand_voice", decoding=Decoding(seed=1, max_new_tokens=32),
                          scenarios=[msgspec.structs.replace(s, base_answer=None)
                                     for s in scenarios(3)], consultant_profile=PROFILE)
    await measured(bus, settings, job, "brand_voice", brand)
    first = suite_of(await settled(bus, job, "brand_voice"), "brand_voice")
    # The profile's two, then the generic list; the fake scores the 4th and 8th 2 of 5.
    assert first["figures"]["flagged"] == ["Clarity", "Non-judgement"]
    assert first["figures"]["violations"] == {"Guaranteed returns": 0}
    assert first["rubric"]["characteristics"][0]["name"] == "Feelings first"
    answer = await bus.ask(RerunValidation(job_id=job, suites=["brand_voice"]))
    assert answer["run"] == 2 and answer["rescoring"] == ["brand_voice"]
    again = suite_of(await settled_run(bus, job, 2, "brand_voice"), "brand_voice")
    assert again["figures"]["overall"] == first["figures"]["overall"]


async def settled_run(bus, job_id, run: int, name: str) -> dict:
    async def done():
        view = await bus.ask(GetValidation(job_id=job_id))
        suite = suite_of(view, name)
        return view if suite["run"] == run and suite["status"] == "completed" else None

    return await eventually(done, timeout_s=30)


async def test_a_model_suite_rerun_asks_for_an_attempt_and_takes_its_measurement(
        bus, settings, start_service):
    await start_service(build)
    job = uuid.uuid4()
    error = await bus.ask_error(RerunValidation(job_id=job, suites=["perplexity"]))
    assert error.error.status == 409 and error.error.code == "no_adapter"
    await trainer(bus, StageChanged(job_id=job, stage="validating"))
    await trainer(bus, SuiteMeasured(job_id=job, suite="perplexity", ok=False,
                                     message="out of memory"))
    await trainer(bus, Completed(job_id=job, adapter_key=f"jobs/{job}/adapter"))
    failed = suite_of(await settled(bus, job, "perplexity"), "perplexity")
    assert failed["status"] == "failed" and "out of memory" in failed["headline"]
    answer = await bus.ask(RerunValidation(job_id=job, suites=["perplexity"]))
    assert answer == {"job_id": str(job), "run": 2, "rescoring": [], "measuring": ["perplexity"]}
    asked = decode((await eventually(lambda: bus.stored(ValidationRunRequested.subject)))[0],
                   ValidationRunRequested)
    assert asked.adapter_key == f"jobs/{job}/adapter" and asked.suites == ["perplexity"]
    # The validation-only attempt the jobs service queues reports like any attempt.
    await trainer(bus, StageChanged(job_id=job, attempt=2, stage="validating"))
    await measured(bus, settings, job, "perplexity", PerplexityDetail(
        examples=3, target_tokens=50, base_loss=2.0, trained_loss=1.0, base_perplexity=10.0,
        trained_perplexity=8.0), attempt=2)
    await trainer(bus, Completed(job_id=job, attempt=2, adapter_key=f"jobs/{job}/adapter"))
    view = await settled_run_status(bus, job, 2, "completed")
    assert suite_of(view, "perplexity")["badge"] == "Acceptable"


async def settled_run_status(bus, job_id, run: int, status: str) -> dict:
    async def reached():
        view = await bus.ask(GetValidation(job_id=job_id))
        return view if view["run"] == run and view["status"] == status else None

    return await eventually(reached, timeout_s=30)
