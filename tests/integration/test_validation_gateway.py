"""The validation service's typed answers (proto/validation_views.py) through the gateway, as the
console receives them: the same JSON keys the console reads, and bodies that decode strictly."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest
from support import running_gateway
from test_validation_service import ei, measured, settled, settled_status, suite_of

from proto.validation import SUITES, PerplexityDetail
from proto.validation_views import NextReview, ReviewSaved, ValidationView
from services.validation.app import build

VIEW_KEYS = {"job_id", "run", "status", "message", "scorer", "judge", "review", "suites"}
SUITE_KEYS = {"suite", "status", "run", "figures", "badge", "headline", "message", "partial",
              "scored", "failed", "total", "duration_s", "judge_prompt_id", "rubric",
              "rerun_offered"}
ITEM_KEYS = {"item_id", "suite", "lease_until", "scenario", "answers", "score_on", "avoid",
             "scale", "progress"}


@pytest.fixture
async def client(settings):
    async with running_gateway(settings) as test_client:
        yield test_client


async def get(client, path: str, **params) -> Any:
    response = await asyncio.to_thread(client.get, f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response


async def test_the_validation_view_keeps_its_keys_and_decodes_strictly(bus, settings,
                                                                       start_service, client):
    await start_service(build)
    job = uuid.uuid4()
    await measured(bus, settings, job, "perplexity", PerplexityDetail(
        examples=20, target_tokens=900, base_loss=3.2, trained_loss=2.8, base_perplexity=24.5,
        trained_perplexity=16.8))
    await settled(bus, job, "perplexity")
    response = await get(client, f"/jobs/{job}/validation")
    body = response.json()
    assert set(body) == VIEW_KEYS and body["job_id"] == str(job)
    assert [s["suite"] for s in body["suites"]] == list(SUITES)
    assert all(set(s) == SUITE_KEYS for s in body["suites"])
    assert set(body["judge"]) == {"model", "calls", "prompt_tokens", "completion_tokens"}
    perplexity = suite_of(body, "perplexity")
    assert perplexity["figures"]["improvement_pct"] == 31.4 and perplexity["total"] == 0
    unmeasured = suite_of(body, "brand_voice")  # never measured: nothing reads as a zero
    assert unmeasured["scored"] is None and unmeasured["figures"] is None
    view = msgspec.json.decode(response.content, type=ValidationView)
    assert view.job_id == job and view.run == 1


async def test_review_items_and_saves_keep_their_keys(bus, settings, start_service, client):
    await start_service(build)  # no judge configured: EI waits for blind review
    job = uuid.uuid4()
    await measured(bus, settings, job, "emotional_intelligence", ei(1))
    await settled_status(bus, job, "awaiting_review")
    response = await get(client, f"/jobs/{job}/validation/review/next", reviewer="ana")
    body = response.json()
    assert set(body["item"]) == ITEM_KEYS and body["item"]["scale"] == [1, 5]
    assert set(body["item"]["answers"]) == {"A", "B"}
    item = msgspec.json.decode(response.content, type=NextReview).item
    scores = {label: {"scores": {d: 3 for d in item.score_on}} for label in item.answers}
    saved = await asyncio.to_thread(
        client.post, f"/api/v1/jobs/{job}/validation/review/{item.item_id}",
        json={"reviewer": "ana", "answers": scores})
    assert saved.status_code == 200, saved.text
    assert msgspec.json.decode(saved.content, type=ReviewSaved).suite_progress.scored == 1
    done = (await get(client, f"/jobs/{job}/validation/review/next", reviewer="ana")).json()
    # The one item scored completes the suite: nothing is left to hand out, and it says so.
    assert set(done) == {"item", "progress", "message"}
    assert done["item"] is None and done["message"] == "Nothing waits for review."
