"""The console's "Combine with other files" (issue 17) in a real browser: a 48-conversation file
is short, combined with a 10-conversation one (3 repeats) it makes an eligible set of 55, and
the set opens the configure page. Screenshot: tests/e2e/screenshots/training-set.png."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from test_console import chromium_installed, console  # noqa: F401  (fixtures)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
SCREENSHOTS = Path(__file__).with_name("screenshots")


def conversation(n: int) -> dict:
    cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"e2e-set-{n}"))
    return {"conversation_metadata": {
        "conversation_id": cid, "total_turns": 1, "quality_tier": "production",
        "scaffolding": {"persona_key": f"p{n % 3}", "emotional_arc_key": "a",
                        "training_topic_key": "t"}},
        "training_pairs": [{"id": f"c{n}", "conversation_id": cid, "current_user_input": f"Q{n}?",
                            "target_response": f"Answer {n}.",
                            "training_metadata": {"quality_score": 4.5, "human_reviewed": True}}]}


def upload(api: str, name: str, numbers: list[int]) -> dict:
    data = json.dumps({"training_file_metadata": {"file_name": name},
                       "conversations": [conversation(n) for n in numbers]}).encode()
    answer = httpx.post(f"{api}/training-files", files={"file": (f"{name}.json", data)}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def test_a_short_file_is_combined_into_an_eligible_set_from_its_page(stack, console):  # noqa: F811
    page, errors = console
    short = upload(stack.api, "batch-48", list(range(48)))
    upload(stack.api, "batch-10", [1, 2, 3, *range(100, 107)])
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/files/{short['id']}")
    panel = page.get_by_test_id("combine-files")
    expect(panel).to_have_attribute("data-short", "true")
    panel.get_by_test_id("combine-open").click()
    panel.locator("[data-testid=combine-file]", has_text="batch-10").locator("input").check()
    expect(panel.get_by_test_id("combine-total")).to_contain_text("up to 58 conversations")
    panel.get_by_test_id("combine-create").click()
    result = panel.get_by_test_id("training-set")
    expect(result).to_contain_text("55 conversations from 2 files")
    expect(result).to_contain_text("3 repeated conversations counted once")
    expect(result.get_by_test_id("eligibility-ok")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "training-set.png"), full_page=True)
    result.get_by_test_id("training-set-configure").click()
    expect(page.get_by_test_id("configure-view")).to_be_visible()
    assert errors == []


VOICE = [("Warmth & empathy", "Acknowledges the feeling first"), ("Directness", "Says the answer plainly"),
         ("Education first", "Explains why"), ("No jargon", "Plain words"), ("Calm", "Never alarmist"),
         ("Specific", "Numbers, not vague advice"), ("Honest", "Says what is unknown"),
         ("Encouraging", "Ends with a next step"), ("Concise", "Short paragraphs"),
         ("Respectful", "No judgement of past choices")]


def test_rubrics_are_uploaded_on_their_page_and_chosen_on_a_jobs_validation_tab(
    stack, console  # noqa: F811
):
    """UJ5.2.4 over the console: a rubric short of 10 characteristics is refused with the
    service's reason; a full one is listed; a job's Validation tab switches to it (and the API
    then answers that rubric for the job)."""
    from journey import TINY_MODEL

    page, errors = console
    base = stack.gateway_url.rstrip("/")
    page.goto(f"{base}/#/rubrics")
    expect(page.get_by_test_id("rubrics-empty")).to_be_visible()
    form = page.get_by_test_id("rubric-form")
    form.get_by_test_id("rubric-name").fill("Elena Morales voice")
    names, descriptions = form.get_by_test_id("rubric-char-name"), form.get_by_test_id("rubric-char-description")
    for i, (name, description) in enumerate(VOICE[:9]):
        names.nth(i).fill(name)
        descriptions.nth(i).fill(description)
    form.get_by_test_id("rubric-save").click()
    expect(form.get_by_test_id("rubric-error")).to_contain_text("10")
    names.nth(9).fill(VOICE[9][0])
    form.get_by_test_id("rubric-avoid").fill("guaranteed returns\nyou should have")
    form.get_by_test_id("rubric-save").click()
    item = page.get_by_test_id("rubric-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Elena Morales voice")
    item.locator("summary").click()
    expect(item).to_contain_text("10 characteristics, 2 things to avoid")
    expect(item).to_contain_text("Respectful")
    rubric_id = item.get_attribute("data-rubric-id")

    file = upload(stack.api, "rubric-60", list(range(200, 260)))
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        job = api.post("/jobs", json={"training_file_id": file["id"], "model": TINY_MODEL,
                                      "validation": {"suites": []}, "overrides": {"max_steps": 1}})
        assert job.status_code == 201, job.text
        job_id = job.json()["id"]
        api.post(f"/jobs/{job_id}/cancel")  # the rubric is chosen whatever the job's state
        page.goto(f"{base}/#/jobs/{job_id}")
        page.get_by_test_id("tab-validation").click()
        card = page.get_by_test_id("job-rubric")
        expect(card.get_by_test_id("job-rubric-current")).not_to_have_attribute("data-source", "uploaded")
        card.get_by_test_id("job-rubric-select").select_option(rubric_id)
        card.get_by_test_id("job-rubric-use").click()
        expect(card.get_by_test_id("job-rubric-saved")).to_contain_text("Elena Morales voice")
        expect(card.get_by_test_id("job-rubric-current")).to_have_attribute("data-source", "uploaded")
        assert api.get(f"/jobs/{job_id}/validation/rubric").json()["rubric_id"] == rubric_id
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "job-rubric.png"), full_page=True)
    assert errors == []


def test_a_files_page_lists_the_training_sets_it_is_in_and_opens_one(stack, console):  # noqa: F811
    """GET /training-sets and /training-sets/{id} over the console: a set made through the API
    shows on each member file's page and on its combined file's page, with its figures."""
    page, errors = console
    first = upload(stack.api, "listed-a", list(range(300, 330)))
    second = upload(stack.api, "listed-b", [300, 301, *range(330, 360)])
    answer = httpx.post(f"{stack.api}/training-sets", timeout=60, json={
        "name": "listed set", "training_file_ids": [first["id"], second["id"]]})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    for file_id in (second["id"], made["training_file_id"]):
        page.goto(f"{stack.gateway_url.rstrip('/')}/#/files/{file_id}")
        row = page.locator(f"[data-testid=training-set-row][data-set-id='{made['id']}']")
        expect(row).to_contain_text("listed set · 60 conversations from listed-a, listed-b")
        row.get_by_test_id("training-set-open").click()
        shown = page.get_by_test_id("training-set-shown").get_by_test_id("training-set")
        expect(shown).to_contain_text("2 repeated conversations counted once")
        expect(shown.get_by_test_id("eligibility-ok")).to_be_visible()
    assert errors == []


def test_the_configure_page_chooses_the_validation_suites_a_job_runs(stack, console):  # noqa: F811
    """POST /jobs `validation` over the console: unticking suites on the configure page is
    what the job is created with, and its Configuration tab says so."""
    from journey import TINY_MODEL

    page, errors = console
    file = upload(stack.api, "plan-60", list(range(400, 460)))
    sent: list[dict] = []

    def on_the_tiny_model(route) -> None:  # the page's own body, only the model swapped
        if route.request.method != "POST":
            return route.continue_()
        body = json.loads(route.request.post_data or "{}")
        sent.append(body)
        route.continue_(post_data=json.dumps({**body, "model": TINY_MODEL}))

    page.route("**/api/v1/jobs", on_the_tiny_model)
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/configure/{file['id']}")
    review = page.get_by_test_id("review-summary")
    expect(review).to_contain_text("All four suites")
    page.get_by_test_id("validation-plan").locator("summary").click()
    for suite in ("emotional_intelligence", "knowledge_retention", "brand_voice"):
        page.get_by_test_id(f"plan-suite-{suite}").uncheck()
    expect(review).to_contain_text("Perplexity")
    expect(review).not_to_contain_text("All four suites")
    expect(page.get_by_test_id("estimate-duration")).to_have_text(re.compile(r"\d"))
    for name in ("confirm-reviewed", "confirm-cost", "confirm-budget"):
        page.get_by_test_id(name).check()
    page.get_by_test_id("start-training").click()
    expect(page).to_have_url(re.compile(r"#/jobs/[0-9a-f-]{36}$"), timeout=20_000)
    job_id = page.url.rsplit("/", 1)[1]
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        api.post(f"/jobs/{job_id}/cancel")
        assert api.get(f"/jobs/{job_id}").json()["validation"]["suites"] == ["perplexity"]
    assert sent[0]["validation"] == {"suites": ["perplexity"]}
    page.get_by_test_id("tab-config").click()
    shown = page.get_by_test_id("config-pane").locator("dt", has_text=re.compile("^Validation$"))
    expect(shown.locator("xpath=following-sibling::dd[1]")).to_have_text("Perplexity")
    assert errors == []
