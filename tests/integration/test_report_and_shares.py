"""The validation report (UJ5.3.1) and its share links (UJ5.3.2), through real services: a job
trained (its trainer events published), its cost settled, its report rendered to a real PDF
whose text is read back with pypdf; share links opened anonymously through the gateway."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from datetime import timedelta
from pathlib import Path

import msgspec
import pypdf
import pytest
from fakes.openai_judge import FakeJudge
from support import eventually, running_gateway
from test_cost_service import FAST, create_job, instance
from test_validation_service import judged, measured, scenarios

from libs.common.runtime import ServiceRuntime
from libs.common.storage import open_store
from proto.api import ServiceError
from proto.base import decode, utcnow
from proto.cost import GetJobCost
from proto.jobs import GetJob
from proto.reports import (
    CreateShare,
    GetReport,
    ListShares,
    ReportReady,
    RequestReport,
    RevokeShare,
    ShareViewed,
)
from proto.training import Completed, Evaluation, Progress, StageChanged, TrainingEventReported
from proto.validation import (
    AnswersDetail,
    Decoding,
    GetValidation,
    KnowledgeDetail,
    PerplexityDetail,
    QuestionPick,
    ValidationCompleted,
)
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.packaging.report import wiring
from services.validation.app import build as build_validation

MIGRATIONS = Path(wiring.__file__).parents[1] / "migrations"
STEPS = 30


class Clock:
    """The packaging service's clock, moved forward by the test (a link expiring in 30 days)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def services(start_service, clock):
    def build_packaging(settings) -> ServiceRuntime:  # the report's half, with the test's clock
        runtime = ServiceRuntime("packaging", settings, MIGRATIONS)
        wiring.register(runtime, clock=clock)
        return runtime

    await start_service(build_jobs)
    await start_service(build_monitoring)
    await start_service(build_cost, **FAST)
    return await start_service(build_packaging)


async def trained_job(bus, settings) -> uuid.UUID:
    """A job through training to completed, with its metrics and a settled final cost."""
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    t0 = utcnow() - timedelta(minutes=30)
    started, exited = instance(job_id, t0, t0 + timedelta(minutes=20))
    await bus.publish(started)
    events = [StageChanged(job_id=job_id, stage="training", occurred_at=t0 + timedelta(minutes=1))]
    events += [Progress(job_id=job_id, step=s, total_steps=STEPS, epoch=s / STEPS, loss=3.0 / s,
                        learning_rate=2e-4, tokens_per_s=500.0,
                        occurred_at=t0 + timedelta(minutes=1, seconds=s)) for s in range(1, STEPS + 1)]
    events += [Evaluation(job_id=job_id, step=STEPS, epoch=1.0, val_loss=0.5, perplexity=1.65),
               Completed(job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", steps=STEPS)]
    for event in events:
        await bus.publish(TrainingEventReported(event=event))
    await bus.publish(exited)
    await eventually(lambda: _job_status(bus, job_id, "completed"), timeout_s=20)
    await eventually(lambda: _final_cost(bus, job_id), timeout_s=20)
    return job_id


async def _job_status(bus, job_id, status):
    return (await bus.ask(GetJob(job_id=job_id)))["status"] == status


async def _final_cost(bus, job_id):
    return "total_cents" in ((await bus.ask(GetJobCost(job_id=job_id)))["final"] or {})


async def ready_report(bus, job_id, version: int = 1) -> dict:
    async def ready():
        report = await bus.ask(GetReport(job_id=job_id))
        found = [v for v in report["versions"] if v["version"] == version]
        return found and found[0]["status"] != "generating" and found[0]
    found = await eventually(ready, timeout_s=60)
    assert found["status"] == "ready", found
    return found


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


async def test_report_without_validation_shows_not_run_and_the_final_cost(services, bus, settings):
    job_id = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    version = await ready_report(bus, job_id)
    text, pages = pdf_text(open_store(settings.resolved_storage_url).get_bytes(version["pdf_key"]))
    job = await bus.ask(GetJob(job_id=job_id))
    cost = (await bus.ask(GetJobCost(job_id=job_id)))["final"]
    assert "BRIGHT RUN" in text and job["name"] in text and "Validation report" in text
    assert text.count("not run") >= 4  # each suite, in the summary and in the results
    assert f"${cost['total_cents'] / 100:,.2f}" in text and cost["total_cents"] == 200
    assert "the emotional-intelligence suite has not run" in text  # no examples, said why
    assert pages == version["pages"] and pages >= 7  # cover, summary, training, ..., appendix
    assert "Final training loss 0.1000" in text  # 3.0 / 30, the last step's loss
    [ready] = [decode(b, ReportReady) for b in await bus.stored(ReportReady.subject)]
    assert ready.version == 1 and ready.size_bytes == version["size_bytes"]


async def test_each_generation_is_a_new_version_and_old_ones_stay(services, bus, settings):
    job_id = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    first = await ready_report(bus, job_id, 1)
    await bus.ask(RequestReport(job_id=job_id))
    second = await ready_report(bus, job_id, 2)
    report = await bus.ask(GetReport(job_id=job_id))
    assert [v["version"] for v in report["versions"]] == [2, 1] and report["latest_ready"] == 2
    store = open_store(settings.resolved_storage_url)
    assert first["pdf_key"] != second["pdf_key"] and store.exists(first["pdf_key"])
    assert "Bright Run validation report" in report["summary"]


async def test_report_before_the_job_ends_is_refused_unless_partial(services, bus, settings):
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    error = await bus.ask_error(RequestReport(job_id=job_id))
    assert error.error.status == 409 and "partial=true" in error.error.how_to_fix
    await bus.ask(RequestReport(job_id=job_id, partial=True))
    version = await ready_report(bus, job_id)
    text, _ = pdf_text(open_store(settings.resolved_storage_url).get_bytes(version["pdf_key"]))
    assert "Partial report" in text


@pytest.fixture
async def client(settings, services):
    async with running_gateway(settings) as test_client:
        yield test_client


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


async def test_share_link_shows_the_dashboard_and_pdf_and_counts_views(
        services, bus, settings, client):
    job_id = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    await ready_report(bus, job_id)
    made = await asyncio.to_thread(client.post, f"/api/v1/jobs/{job_id}/shares",
                                   json={"expires_in_days": 30, "recipients": ["cfo@client.example"]})
    assert made.status_code == 201, made.text
    share = made.json()
    page = await asyncio.to_thread(client.get, path_of(share["url"]))
    assert page.status_code == 200 and "Validation results" in page.text
    assert "#/jobs" not in page.text and "<script" not in page.text  # no console, no script
    pdf = await asyncio.to_thread(client.get, path_of(share["url"]) + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    recipient_link = path_of(share["recipients"][0]["url"])
    assert (await asyncio.to_thread(client.get, recipient_link)).status_code == 200
    [listed] = (await asyncio.to_thread(client.get, f"/api/v1/jobs/{job_id}/shares")).json()
    assert listed["view_count"] == 3 and len({v["address_hash"] for v in listed["views"]}) == 1
    assert [v["recipient"] for v in listed["views"]] == [None, None, "cfo@client.example"]
    assert "testclient" not in str(listed["views"])  # the address is hashed, never stored
    viewed = [decode(b, ShareViewed) for b in await bus.stored(ShareViewed.subject)]
    assert len(viewed) == 1  # the owner hears of the first view only


async def test_tampered_expired_and_revoked_links_are_refused(services, bus, settings, client, clock):
    job_id = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    await ready_report(bus, job_id)
    share = await bus.ask(CreateShare(job_id=job_id, expires_in_days=2))
    link = path_of(share["url"])
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert (await asyncio.to_thread(client.get, tampered)).status_code == 403
    clock.offset = timedelta(days=2, seconds=1)
    expired = await asyncio.to_thread(client.get, link)
    assert expired.status_code == 410 and "ask the person who shared it" in expired.text.lower()
    clock.offset = timedelta()
    assert (await asyncio.to_thread(client.get, link)).status_code == 200
    await bus.ask(RevokeShare(job_id=job_id, share_id=share["id"]))
    revoked = await asyncio.to_thread(client.get, link)
    assert revoked.status_code == 410 and "revoked" in revoked.text
    [listed] = await bus.ask(ListShares(job_id=job_id))
    assert listed["status"] == "revoked"


async def test_a_token_opens_nothing_else(services, bus, settings, client):
    job_id = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    await ready_report(bus, job_id)
    link = path_of((await bus.ask(CreateShare(job_id=job_id)))["url"])
    token = link.rsplit("/", 1)[1]
    for path in (f"{link}/report.html", f"{link}/../api/v1/jobs", f"/share/{token}/shares"):
        assert (await asyncio.to_thread(client.get, path)).status_code == 404, path
    assert (await asyncio.to_thread(client.post, link)).status_code == 405
    assert (await asyncio.to_thread(client.delete, link)).status_code == 405


async def test_share_longer_than_30_days_is_refused(services, bus, settings):
    job_id = await trained_job(bus, settings)
    error = await bus.ask_error(CreateShare(job_id=job_id, expires_in_days=31))
    assert error.error.status == 422 and error.error.code == "share_expiry_out_of_range"
    assert isinstance(error, ServiceError)


# --- With validation: the report's figures are the validation service's ----------------------


@pytest.fixture
def judge():
    server = FakeJudge().start()
    yield server
    server.stop()


async def validated_job(bus, settings, start_service, judge) -> uuid.UUID:
    """A trained job whose trainer measured perplexity, retention and EI answers, scored by the
    FAKE judge in the real validation service."""
    await start_service(build_validation, **judged(judge))
    job_id = await create_job(bus, settings, rate_cents_per_hour=600, estimate_cents=1_000)
    await bus.publish(TrainingEventReported(event=StageChanged(job_id=job_id, stage="validating")))
    await measured(bus, settings, job_id, "perplexity", PerplexityDetail(
        examples=20, target_tokens=900, base_loss=3.2, trained_loss=2.8, base_perplexity=24.5,
        trained_perplexity=16.8))
    picks = [QuestionPick(id=f"q{i}", topic="tax", answer=0, base_choice=0,
                          trained_choice=0 if i > 1 else 1) for i in range(40)]
    await measured(bus, settings, job_id, "knowledge_retention", KnowledgeDetail(
        questions_version="financial-knowledge-v1", base_accuracy=1.0, trained_accuracy=0.95,
        questions=picks))
    # The judge scores a reply saying "understand" higher: 12 of 14 trained answers gain.
    answers = [s if i < 12 else msgspec.structs.replace(s, trained_answer="List your debts.")
               for i, s in enumerate(scenarios(14))]
    await measured(bus, settings, job_id, "emotional_intelligence", AnswersDetail(
        suite="emotional_intelligence", decoding=Decoding(seed=1, max_new_tokens=32),
        scenarios=answers))
    await bus.publish(TrainingEventReported(event=Completed(job_id=job_id,
                                                            adapter_key=f"jobs/{job_id}/adapter")))
    await eventually(lambda: _job_status(bus, job_id, "completed"), timeout_s=20)

    async def scored():
        view = await bus.ask(GetValidation(job_id=job_id))
        return view["status"] in ("completed", "failed") and view
    await eventually(scored, timeout_s=60)
    return job_id


async def test_report_figures_are_the_validation_services(services, bus, settings, start_service,
                                                          judge):
    job_id = await validated_job(bus, settings, start_service, judge)
    await bus.ask(RequestReport(job_id=job_id))
    version = await ready_report(bus, job_id)
    text, pages = pdf_text(open_store(settings.resolved_storage_url).get_bytes(version["pdf_key"]))
    flat = " ".join(text.split())  # pypdf breaks lines where the layout wraps them
    view = await bus.ask(GetValidation(job_id=job_id))
    suites = {s["suite"]: s for s in view["suites"]}
    for name in ("perplexity", "knowledge_retention", "emotional_intelligence"):
        assert suites[name]["status"] == "completed", suites[name]
        assert " ".join(suites[name]["headline"].split()) in flat, name  # every headline figure
        assert suites[name]["badge"] in flat
    assert "Brand voice Not run" in flat  # the suite the trainer did not measure
    api_examples = suites["emotional_intelligence"]["figures"]["examples"]
    shown = re.findall(r"Example (\d+)\.", flat)
    assert len(shown) == min(10, len(api_examples)) and shown[0] == "1"
    for example in api_examples[:10]:
        assert " ".join(example["user_input"].split()) in flat
    assert "q0" in flat and "q1" in flat  # the regressed questions
    assert pages == version["pages"]


async def test_a_validation_rerun_makes_a_new_version_of_an_existing_report(services, bus, settings):
    job_id = await trained_job(bus, settings)
    untouched = await trained_job(bus, settings)
    await bus.ask(RequestReport(job_id=job_id))
    first = await ready_report(bus, job_id, 1)
    for job in (job_id, untouched):  # validation ran again on both
        await bus.publish(ValidationCompleted(job_id=job, run=2, headlines=[]))
    await ready_report(bus, job_id, 2)
    assert open_store(settings.resolved_storage_url).exists(first["pdf_key"])  # v1 stays
    assert (await bus.ask(GetReport(job_id=untouched)))["versions"] == []  # nobody asked for one
