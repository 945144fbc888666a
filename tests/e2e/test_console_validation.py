"""The console's validation section and blind review page, driven in a browser on a real job.

A tiny-model job with a small validation plan runs to completed through the whole stack (the
`stack` fixture of tests/e2e/conftest.py); the Validation tab must show the perplexity figures
the API computed; the review page must show answers "A" and "B" and never which model wrote
which, neither in its HTML nor in any API response it received; scoring every item completes
the EI suite. Screenshots of both pages go to tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from journey import TINY_MODEL, upload, wait_for_status
from test_console import CHROMIUM, CHROMIUM_ARGS, chromium_installed  # noqa: F401 (autouse)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs Playwright (pip install playwright)")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).with_name("screenshots")
PLAN = {"ei_scenarios": 3, "brand_voice_answers": 2, "max_new_tokens": 16}
# The words that would tell a reviewer which answer is which, as words or parts of keys
# (base_answer, a_is_trained): letters on neither side.
LABELS = re.compile(r"(?<![a-z])(base|baseline|trained|fine-?tuned)(?![a-z])", re.IGNORECASE)


def _suites(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["suite"]: s for s in view["suites"]}


def _wait_validation(api: httpx.Client, job_id: str, ready, timeout_s: float = 180.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = api.get(f"/jobs/{job_id}/validation").json()
        if ready(_suites(view)):
            return view
        time.sleep(0.5)
    raise AssertionError(f"validation of {job_id} never got there: {view}")


def _data_strings(item: dict[str, Any]) -> set[str]:
    """What a review item shows as content (the client's words, the answers), which may use any
    word at all; everything else the page or the API says must not name a model."""
    scenario = item["scenario"]
    return {scenario["system_prompt"], scenario["user_input"],
            *(t["content"] for t in scenario["history"]), *item["answers"].values()}


def _label_leaks(value: Any, data: set[str], path: str = "$") -> list[str]:
    if isinstance(value, dict):
        return [hit for k, v in value.items()
                for hit in ([f"{path} key {k!r}"] if LABELS.search(k) else [])
                + _label_leaks(v, data, f"{path}.{k}")]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _label_leaks(v, data, f"{path}[{i}]")]
    if isinstance(value, str) and value not in data and LABELS.search(value):
        return [f"{path} = {value[:80]!r}"]
    return []


def _page_leaks(page, data: set[str]) -> list[str]:
    """Every tag, attribute and text node of the page's main area, less the content strings."""
    parts = page.evaluate("""() => {
      const out = [], main = document.querySelector('main');
      const walk = n => {
        if (n.nodeType === Node.TEXT_NODE) { if (n.textContent.trim()) out.push(n.textContent); return; }
        if (n.nodeType !== Node.ELEMENT_NODE) return;
        out.push('<' + n.tagName);
        for (const a of n.attributes) out.push(a.name, a.value);
        n.childNodes.forEach(walk);
      };
      walk(main);
      return out.concat([document.title]);
    }""")
    stripped = {d.strip() for d in data}
    return [p for p in parts if p.strip() not in stripped and LABELS.search(p)]


@pytest.fixture
def browser_page(stack):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()


def test_validation_tab_shows_the_api_figures_and_blind_review_never_names_a_model(
    stack, browser_page
):
    page, errors = browser_page
    SCREENSHOTS.mkdir(exist_ok=True)
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        uploaded = upload(api, "sample.json", stack.sample_file.read_bytes())
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["id"]
        created = api.post("/jobs", json={
            "training_file_id": file_id, "model": TINY_MODEL, "tags": ["test"],
            "validation": PLAN,
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 4}})
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        assert wait_for_status(api, job_id, {"completed", "failed"}, 300)["status"] == "completed"
        view = _wait_validation(api, job_id, lambda s: s["perplexity"]["status"] == "completed"
                                and s["emotional_intelligence"]["status"] == "awaiting_review")
    ppl = _suites(view)["perplexity"]["figures"]

    # The Validation tab: the perplexity figures are the API's, the EI suite waits for review.
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{job_id}")
    page.get_by_test_id("tab-validation").click()
    card = page.get_by_test_id("suite-perplexity")
    expect(card).to_have_attribute("data-status", "completed")
    assert float(card.get_by_test_id("ppl-base").text_content()) == ppl["base_perplexity"]
    assert float(card.get_by_test_id("ppl-trained").text_content()) == ppl["trained_perplexity"]
    assert card.get_by_test_id("ppl-improvement").text_content() == \
        f"{ppl['improvement_pct']:.1f}%"
    expect(card.get_by_test_id("suite-badge")).to_have_text(ppl["badge"])
    expect(card.get_by_test_id("ppl-interpretation")).to_have_text(ppl["interpretation"])
    expect(card.get_by_test_id("ppl-bars").locator("rect")).to_have_count(4)  # 2 legend, 2 bars
    ei = page.get_by_test_id("suite-emotional_intelligence")
    expect(ei.get_by_test_id("awaiting-review")).to_contain_text("Awaiting review — 3 scenarios")
    page.get_by_test_id("validation-pane").screenshot(
        path=str(SCREENSHOTS / "validation-tab-awaiting-review.png"))
    # The completion card: the loss against the base model, the settled cost, no interruption.
    summary = page.get_by_test_id("completion-summary")
    expect(summary.get_by_test_id("summary-improvement")).to_contain_text(
        "validation loss than the base model")
    expect(summary.get_by_test_id("summary-interruptions")).to_have_text("None")

    # The review page, from a fresh load, recording every API answer it gets.
    responses: list[tuple[str, Any]] = []

    def record(response) -> None:
        if "/api/v1/" in response.url and "/notifications" not in response.url:
            try:
                responses.append((response.url, response.json()))
            except Exception:  # noqa: BLE001 (a body that is not JSON has no keys to leak)
                responses.append((response.url, response.text()))

    # A second reviewer, through the API, holds the first item: the page never hands it out.
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        bob = api.get(f"/jobs/{job_id}/validation/review/next", params={"reviewer": "Bob"}).json()
    assert bob["item"] is not None, bob

    page.goto("about:blank")  # the job page's polls end here: only the review page's answers count
    page.on("response", record)
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/review/{job_id}")
    page.get_by_test_id("reviewer-name").fill("Ada")
    page.get_by_test_id("reviewer-start").click()

    seen: list[dict[str, Any]] = []
    for n in range(1, 12):
        idle = page.get_by_test_id("review-idle")
        item = page.get_by_test_id("review-item")
        expect(item.or_(idle)).to_be_visible()
        if idle.is_visible():
            break
        payload = next(body for url, body in reversed(responses) if "/review/next?" in url)
        current = payload["item"]
        assert item.get_attribute("data-item-id") == current["item_id"]
        seen.append(current)
        letters = sorted(current["answers"])
        assert letters == (["A"] if current["suite"] == "brand_voice" else ["A", "B"])
        expect(page.get_by_test_id("review-progress")).to_contain_text(
            f"{payload['progress']['scored']} of {payload['progress']['total']} scored")
        for letter in letters:
            expect(page.get_by_test_id(f"review-answer-{letter}-text")).to_have_text(
                current["answers"][letter])
        leaks = _page_leaks(page, _data_strings(current))
        assert leaks == [], f"the review page names a model: {leaks}"
        if n == 1:
            page.screenshot(path=str(SCREENSHOTS / "review-page.png"), full_page=True)
        for letter in letters:
            for index in range(len(current["score_on"])):
                score = {"A": 4, "B": 2}[letter]
                page.get_by_test_id(f"score-{letter}-{index}-{score}").check()
        page.get_by_test_id("review-save").click()
        expect(page.locator(f"[data-testid=review-item][data-item-id='{current['item_id']}']")) \
            .to_have_count(0)
    else:
        raise AssertionError("the review never ran out of items")

    # All but Bob's item are scored: the page says so, and is done once Bob saves his.
    expect(idle).to_contain_text("another reviewer")
    assert bob["item"]["item_id"] not in {s["item_id"] for s in seen}
    assert sum(s["suite"] == "emotional_intelligence" for s in seen) + \
        (bob["item"]["suite"] == "emotional_intelligence") == 3
    answers = {letter: {"scores": {c: 3 for c in bob["item"]["score_on"]}}
               for letter in bob["item"]["answers"]}
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        saved = api.post(f"/jobs/{job_id}/validation/review/{bob['item']['item_id']}",
                         json={"reviewer": "Bob", "answers": answers})
    assert saved.status_code == 200, saved.text
    page.get_by_test_id("review-check-again").click()
    expect(page.get_by_test_id("review-done")).to_be_visible()

    data = set().union(*(_data_strings(s) for s in [*seen, bob["item"]]))
    assert _label_leaks(bob, data) == [] and _label_leaks(saved.json(), data) == []
    leaks = [hit for url, body in responses for hit in _label_leaks(body, data, url)]
    assert leaks == [], f"an API response the review page got names a model: {leaks}"

    # Every item scored: the EI suite has its result, and the tab shows it.
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        view = _wait_validation(api, job_id, lambda s: s["emotional_intelligence"]["status"]
                                in ("completed", "partial", "failed"), 60)
    ei_view = _suites(view)["emotional_intelligence"]
    assert ei_view["status"] == "completed", json.dumps(ei_view)[:400]
    assert ei_view["figures"]["scored"] == 3
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{job_id}")
    page.get_by_test_id("tab-validation").click()
    ei = page.get_by_test_id("suite-emotional_intelligence")
    expect(ei).to_have_attribute("data-status", "completed")
    overall = ei_view["figures"]["overall"]
    shown = re.fullmatch(r"([\d.]+)/5 → ([\d.]+)/5", ei.get_by_test_id("ei-overall").text_content())
    assert shown, "the overall EI score is not shown as base/5 → trained/5"
    assert abs(float(shown[1]) - overall["base"]) <= 0.05  # one decimal shown, two in the API
    assert abs(float(shown[2]) - overall["trained"]) <= 0.05
    expect(ei.get_by_test_id("ei-signals")).to_contain_text("not the EI score")
    page.get_by_test_id("validation-pane").screenshot(
        path=str(SCREENSHOTS / "validation-tab.png"))
    # Re-run one suite from its card: EI is rescored from its stored answers in a new run,
    # so it waits for reviewers again; the other suites keep their results.
    ei.get_by_test_id("suite-rerun").click()
    expect(ei).to_have_attribute("data-status", "awaiting_review")
    expect(page.get_by_test_id("suite-perplexity")).to_have_attribute("data-status", "completed")
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        again = _suites(api.get(f"/jobs/{job_id}/validation").json())
    assert again["emotional_intelligence"]["run"] > ei_view["run"]
    assert again["perplexity"]["figures"] == ppl
    # The card's total is the settled cost (it settles once the machine's exit is billed).
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        deadline = time.monotonic() + 60
        while (final := api.get(f"/jobs/{job_id}/cost").json()["final"]).get("pending"):
            assert time.monotonic() < deadline, "the job's final cost never settled"
            time.sleep(1)
    page.get_by_test_id("tab-overview").click()
    expect(page.get_by_test_id("summary-cost")).to_have_text(
        f"${final['total_cents'] / 100:.2f}", timeout=10_000)
    # "Answer again with the model" (the API's `regenerate`): brand voice is measured on a
    # machine, not rescored, and the console says which the validation service chose.
    page.get_by_test_id("tab-validation").click()
    page.get_by_test_id("rerun-regenerate").check()
    with page.expect_request(lambda r: r.url.endswith("/validation/rerun")) as asked:
        page.get_by_test_id("suite-brand_voice").get_by_test_id("suite-rerun").click()
    assert json.loads(asked.value.post_data) == {"suites": ["brand_voice"], "regenerate": True}
    expect(page.get_by_test_id("toast").last).to_contain_text(
        "Measuring again with the model: Brand voice")

    assert errors == [], f"the console raised JavaScript errors: {errors}"
