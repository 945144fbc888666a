"""Training sets in the jobs service against real NATS, PostgreSQL and file storage (issue 17):
a 48- and a 10-conversation file sharing 3 conversations make an eligible set of 55, the
repeats reported; a job on the set is queued with the combined file's key, which parses."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from litestar.testing import TestClient
from support import training_file

from libs.common.storage import open_store
from libs.common.training_format import parse_training_file
from proto.base import decode
from proto.jobs import CreateJob, GetJob, JobQueued, ListTrainingFiles, RegisterTrainingFile
from proto.training_sets import CreateTrainingSet, GetTrainingSet, ListTrainingSets
from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build


@pytest.fixture
async def jobs(start_service):
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    return await start_service(build)


def conversation(n: int, cid: str | None = None) -> dict:
    """Conversation n, with its own words (so content matches only a real copy)."""
    cid = cid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"set-conversation-{n}"))
    scaffolding = {"persona_key": f"persona_{n % 4}", "emotional_arc_key": f"arc_{n % 3}",
                   "training_topic_key": f"topic_{n % 5}"}
    pair = {"id": f"c{n}_turn1", "conversation_id": cid, "turn_number": 1,
            "system_prompt": "You are a warm, specific financial advisor.",
            "current_user_input": f"Question number {n}: how much should I save?",
            "target_response": f"For your situation {n}, start with one month of expenses.",
            "training_metadata": {"quality_score": 4.5, "human_reviewed": True}}
    return {"conversation_metadata": {"conversation_id": cid, "total_turns": 1,
                                      "quality_tier": "production", "scaffolding": scaffolding},
            "training_pairs": [pair]}


def aggregated(conversations: list[dict], name: str) -> bytes:
    return json.dumps({"training_file_metadata": {"file_name": name,
                                                  "total_conversations": len(conversations)},
                       "consultant_profile": {"name": "Test Advisor"},
                       "conversations": conversations}).encode()


async def register(bus, settings, data: bytes, filename: str) -> dict:
    key = f"training-files/{uuid.uuid4()}/{filename}"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    return await bus.ask(RegisterTrainingFile(storage_key=key, filename=filename,
                                              size_bytes=len(data)))


async def two_batches(bus, settings) -> tuple[dict, dict]:
    """48 conversations, then 10 of which 2 repeat ids of the first file and 1 its content."""
    first = [conversation(n) for n in range(48)]
    copied = dict(conversation(7), conversation_metadata={
        **conversation(7)["conversation_metadata"], "conversation_id": "exported-again"})
    copied["training_pairs"] = [{**copied["training_pairs"][0], "conversation_id": "exported-again"}]
    second = [conversation(3), conversation(5), copied] + [conversation(n) for n in range(100, 107)]
    return (await register(bus, settings, aggregated(first, "batch-1"), "batch-1.json"),
            await register(bus, settings, aggregated(second, "batch-2"), "batch-2.json"))


async def test_two_batches_make_an_eligible_set_counting_repeats_once(jobs, bus, settings):
    first, second = await two_batches(bus, settings)
    assert not first["eligibility"]["eligible"]  # 48 < 50: the guidance points to sets
    [few] = first["eligibility"]["problems"]
    assert "POST /api/v1/training-sets" in few["how_to_fix"]

    made = await bus.ask(CreateTrainingSet(name="Both batches",
                                           training_file_ids=[first["id"], second["id"]]))
    assert made["conversation_count"] == 55 and made["stats"]["conversation_count"] == 55
    assert made["eligibility"]["eligible"] is True
    assert [(f["name"], f["conversation_count"]) for f in made["files"]] == [
        ("batch-1", 48), ("batch-2", 10)]
    found = {(d["conversation_id"], d["position"], d["by"], d["kept_in_file_name"])
             for d in made["duplicates"]}
    assert found == {(str(uuid.uuid5(uuid.NAMESPACE_URL, "set-conversation-3")), 1, "id",
                      "batch-1.json"),
                     (str(uuid.uuid5(uuid.NAMESPACE_URL, "set-conversation-5")), 2, "id",
                      "batch-1.json"),
                     ("exported-again", 3, "content", "batch-1.json")}
    assert all(d["training_file_id"] == second["id"] for d in made["duplicates"])
    [warning] = [w for w in made["eligibility"]["warnings"]
                 if w["code"] == "duplicate_conversations"]
    assert warning["message"].startswith("3 conversations appear more than once")
    assert "exported-again (conversation 3 of batch-2.json)" in warning["message"]

    assert await bus.ask(GetTrainingSet(training_set_id=made["id"])) == made
    assert [s["id"] for s in await bus.ask(ListTrainingSets())] == [made["id"]]
    # The combined file is the set's, not another upload in the list.
    uploads = {f["id"] for f in await bus.ask(ListTrainingFiles())}
    assert uploads == {first["id"], second["id"]}


async def test_a_job_on_the_set_queues_the_combined_file_which_parses(jobs, bus, settings):
    first, second = await two_batches(bus, settings)
    made = await bus.ask(CreateTrainingSet(name="Both batches",
                                           training_file_ids=[first["id"], second["id"]]))
    job = await bus.ask(CreateJob(training_set_id=made["id"]))
    assert job["training_set_id"] == made["id"]
    assert job["training_file_id"] == made["training_file_id"]
    assert (await bus.ask(GetJob(job_id=job["id"])))["training_set_id"] == made["id"]
    [queued] = [decode(b, JobQueued) for b in await bus.stored(JobQueued.subject)]
    assert queued.training_file_key == made["storage_key"]
    data = open_store(settings.resolved_storage_url).get_bytes(queued.training_file_key)
    parsed = parse_training_file(data, "combined.json")
    assert parsed.format == "brightrun-aggregated" and len(parsed.conversations) == 55
    assert parsed.claims and all(c.claimed == c.actual for c in parsed.claims)
    assert parsed.metadata["total_conversations"] == 55


async def test_a_set_short_of_conversations_is_not_eligible_and_refuses_a_job(jobs, bus, settings):
    small = await register(bus, settings, aggregated([conversation(n) for n in range(10)], "s"),
                           "small.json")
    other = await register(bus, settings, training_file(conversations=5), "other.json")
    made = await bus.ask(CreateTrainingSet(name="Too small",
                                           training_file_ids=[small["id"], other["id"]]))
    assert made["eligibility"]["eligible"] is False
    [problem] = made["eligibility"]["problems"]
    assert problem["code"] == "too_few_conversations"
    assert problem["message"].startswith("This training set has")
    # The 5 conversations of the support builder share their words: counted once.
    assert made["conversation_count"] == 11 and made["duplicate_count"] == 4
    error = await bus.ask_error(CreateJob(training_set_id=made["id"]))
    assert error.error.code == "training_file_not_eligible"


async def test_unknown_and_repeated_files_and_missing_training_data_are_refused(jobs, bus, settings):
    file = await register(bus, settings, aggregated([conversation(1)], "one"), "one.json")
    missing = uuid.uuid4()
    error = await bus.ask_error(CreateTrainingSet(name="x", training_file_ids=[file["id"], missing]))
    assert (error.error.code, error.error.status) == ("training_file_not_found", 404)
    error = await bus.ask_error(CreateTrainingSet(name="x", training_file_ids=[file["id"]] * 2))
    assert (error.error.code, error.error.status) == ("training_file_listed_twice", 422)
    error = await bus.ask_error(CreateJob())
    assert (error.error.code, error.error.status) == ("training_data_missing", 422)
    error = await bus.ask_error(CreateJob(training_set_id=missing))
    assert error.error.code == "training_set_not_found"


async def test_the_gateway_creates_lists_and_trains_on_a_set(start_service, bus, settings):
    """HTTP through the gateway (with the cost service for the estimate and budget check)."""
    await start_service(build)
    await start_service(build_cost)

    async def call(client, method: str, path: str, **kwargs):
        return await asyncio.to_thread(getattr(client, method), f"/api/v1{path}", **kwargs)

    first = [conversation(n) for n in range(48)]
    second = [conversation(3)] + [conversation(n) for n in range(200, 209)]
    with TestClient(create_app(settings)) as client:
        ids = []
        for name, conversations in (("a.json", first), ("b.json", second)):
            upload = await call(client, "post", "/training-files", files={
                "file": (name, aggregated(conversations, name), "application/json")})
            assert upload.status_code == 201, upload.text
            ids.append(upload.json()["id"])
        made = await call(client, "post", "/training-sets",
                          json={"name": "Batches", "training_file_ids": ids})
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["conversation_count"], body["duplicate_count"]) == (57, 1)
        assert body["eligibility"]["eligible"] is True
        assert (await call(client, "get", f"/training-sets/{body['id']}")).json() == body
        assert [s["id"] for s in (await call(client, "get", "/training-sets")).json()] == [body["id"]]
        job = await call(client, "post", "/jobs", json={"training_set_id": body["id"]})
        assert job.status_code == 201, job.text
        assert job.json()["training_set_id"] == body["id"]
        assert job.json()["estimate"]["cost_cents_high"] >= 0
        neither = await call(client, "post", "/jobs", json={})
        assert neither.status_code == 422
        assert neither.json()["error"]["code"] == "training_data_missing"
        unknown = await call(client, "post", "/training-sets",
                             json={"name": "x", "training_file_ids": [str(uuid.uuid4())]})
        assert unknown.status_code == 404
