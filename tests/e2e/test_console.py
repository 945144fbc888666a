"""The web console as a person drives it: upload a training file, read its eligibility,
configure a job (presets, estimate) and open the job list.

Uses the `stack` fixture of tests/e2e/conftest.py (`gateway_url`, `sample_file`) and the
system Chromium; Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
PRESETS = ("conservative", "balanced", "aggressive")

pytestmark = [pytest.mark.timeout(90)]
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs Playwright (pip install playwright)")
expect = sync_api.expect


@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    """CI must prove the console: there a missing Chromium fails the test; elsewhere it skips."""
    if CHROMIUM.exists():
        return
    why = "needs a system Chromium at /usr/bin/chromium (make browser, or apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture
def console(stack) -> Iterator[tuple[sync_api.Page, list[str]]]:
    """A fresh browser page on the console, and the JavaScript errors it raises."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(stack.gateway_url.rstrip("/") + "/")
            yield page, errors
        finally:
            browser.close()


def test_console_uploads_a_file_shows_it_eligible_offers_presets_with_an_estimate_and_lists_jobs(
    stack, console
):
    page, errors = console
    expect(page.get_by_role("heading", name="Training files")).to_be_visible()

    # Upload through the page's own control (multipart POST /api/v1/training-files).
    page.get_by_test_id("file-upload-input").set_input_files(str(stack.sample_file))
    expect(page.get_by_test_id("upload-success")).to_be_visible(timeout=45_000)

    # The new file is listed, selected, and its detail panel says it can train.
    selected = page.locator("[data-testid=file-row][aria-current=true]")
    expect(selected).to_have_count(1)
    detail = page.get_by_test_id("file-detail")
    expect(detail.get_by_test_id("eligibility-ok")).to_contain_text("Ready to train")
    expect(detail.get_by_test_id("stat-conversations")).to_contain_text(re.compile(r"\d"))
    expect(detail.get_by_test_id("quality-badge").first).to_have_text(re.compile("High|Medium|Low"))

    # Configure: three preset cards, Balanced chosen, and an estimate for it.
    detail.get_by_test_id("select-file-button").click()
    expect(page.get_by_test_id("configure-view")).to_be_visible()
    for preset in PRESETS:
        expect(page.get_by_test_id(f"preset-card-{preset}")).to_be_visible()
        expect(page.get_by_test_id(f"preset-card-{preset}")).to_have_attribute(
            "data-selected", "true" if preset == "balanced" else "false")
    expect(page.get_by_test_id("preset-radio-balanced")).to_be_checked()
    expect(page.get_by_test_id("estimate-duration")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_test_id("estimate-note")).to_contain_text("±15%")
    expect(page.get_by_test_id("job-name")).to_have_value(
        re.compile(r" - Balanced - \d{4}-\d{2}-\d{2}$"))

    # A paid GPU turns the estimate into dollars, spot against on-demand.
    expect(page.get_by_test_id("gpu-count")).to_be_hidden()  # the CPU is one machine
    page.get_by_test_id("gpu-type").select_option("H100-80GB")
    expect(page.get_by_test_id("estimate-cost")).to_contain_text("$")
    expect(page.get_by_test_id("estimate-compare")).to_contain_text("On-demand")
    one_gpu = page.get_by_test_id("estimate-rate").text_content()
    page.get_by_test_id("gpu-count").select_option("2")
    expect(page.get_by_test_id("estimate-rate")).to_contain_text("2 × H100-80GB")
    assert page.get_by_test_id("estimate-rate").text_content() != one_gpu

    # A run too big for its GPUs says so before it starts, and one click makes it fit.
    expect(page.get_by_test_id("estimate-memory")).to_contain_text("GiB")
    page.get_by_test_id("overrides").locator("summary").click()
    page.get_by_test_id("override-micro-batch-size").fill("128")
    page.get_by_test_id("override-max-seq-len").fill("32768")
    expect(page.get_by_test_id("estimate-warnings")).to_contain_text("run out of memory")
    page.get_by_test_id("apply-memory-fix").click()
    expect(page.get_by_test_id("override-micro-batch-size")).not_to_have_value("128")
    expect(page.get_by_test_id("apply-memory-fix")).to_have_count(0)
    expect(page.get_by_test_id("estimate-memory")).to_contain_text("GiB")

    # The job list opens, with its live connection to the firehose.
    page.get_by_test_id("nav-jobs").click()
    expect(page.get_by_test_id("jobs-view")).to_be_visible()
    expect(page.get_by_test_id("job-list").or_(page.get_by_test_id("jobs-empty"))).to_be_visible()
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live")

    assert errors == [], f"the console raised JavaScript errors: {errors}"


@pytest.mark.timeout(300)  # two tiny training runs before the browser opens the pages
def test_console_job_page_shows_interruptions_and_cost_and_retries_a_cancelled_job(
    stack, console
):
    import time

    import httpx
    from journey import TINY_MODEL, start_job, upload, wait_for_status

    page, errors = console
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        # A job reclaimed once (SIGTERM, as a spot notice) and recovered on its own.
        recovered = api.post("/jobs", json={
            "training_file_id": file_id, "model": TINY_MODEL, "tags": ["test"],
            "fault_injection": {"random_interruptions": 1, "signals": ["sigterm"],
                                "grace_s": 20, "seed": 3},
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 12,
                          "checkpoint_every_steps": 3}}).json()
        assert wait_for_status(api, recovered["id"], {"completed", "failed"})["status"] == \
            "completed"
        # A job cancelled after its first checkpoint: it can be retried or resumed.
        cancelled = start_job(api, file_id, max_steps=500, checkpoint_every_steps=2)
        deadline = time.monotonic() + 120
        while api.get(f"/jobs/{cancelled['id']}").json()["progress"]["step"] < 3:
            assert time.monotonic() < deadline, "the job never reached step 3"
            time.sleep(0.2)
        api.post(f"/jobs/{cancelled['id']}/cancel", json={"reason": "Testing"})

    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{recovered['id']}")
    expect(page.get_by_test_id("interruption-badge")).to_have_text(
        "Interrupted 1x (auto-recovered)")
    cost = page.get_by_test_id("cost-panel")
    expect(cost.get_by_test_id("cost-rate")).to_contain_text("Free")  # the local CPU
    expect(cost.get_by_test_id("cost-spend")).to_contain_text("$0.00")
    expect(cost.get_by_test_id("cost-billable")).to_contain_text(re.compile(r"\d"))

    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{cancelled['id']}")
    expect(page.get_by_test_id("cancelled-panel")).to_be_visible()
    expect(page.get_by_test_id("resume-button")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("retry-button").click()
    expect(page).to_have_url(re.compile(r"#/jobs/(?!" + cancelled["id"] + r")[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("parent-job-link")).to_have_attribute(
        "href", f"#/jobs/{cancelled['id']}")
    new_id = page.url.rsplit("/", 1)[1]
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        assert api.get(f"/jobs/{new_id}").json()["parent_job_id"] == cancelled["id"]
        api.post(f"/jobs/{new_id}/cancel", json={"reason": "Testing"})

    assert errors == [], f"the console raised JavaScript errors: {errors}"


@pytest.mark.timeout(240)
def _badge(page) -> int:
    badge = page.get_by_test_id("unread-count")
    return int(badge.text_content() or 0) if badge.is_visible() else 0


def test_console_notifications_arrive_live_and_are_marked_read(stack, console):
    import httpx
    from journey import start_job, upload, wait_for_status

    page, errors = console
    page.get_by_test_id("nav-notifications").click()
    inbox = page.get_by_test_id("notification-inbox")
    expect(inbox).to_be_visible()
    unread_before = page.get_by_test_id("unread-count")
    before = int(unread_before.text_content() or 0) if unread_before.is_visible() else 0

    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        job = start_job(api, file_id, max_steps=4)
        wait_for_status(api, job["id"], {"completed", "failed"})

    # Pushed over the websocket while the page is open: the badge counts up, the list grows.
    expect(page.get_by_test_id("unread-count")).not_to_have_text(str(before))
    newest = inbox.get_by_test_id("notification-item").filter(has_text=job["name"]).first
    expect(newest).to_be_visible()
    # Pinned by id: the job's later messages re-render the list, and "the first with the job's
    # name" is then another item (a fresh-clone run clicked one and checked the next).
    item = inbox.locator(f'[data-id="{newest.get_attribute("data-id")}"]')
    item.get_by_test_id("notification-ack").click()
    expect(item).to_have_attribute("data-read", "true")
    # The badge counts what the server holds unread, the acknowledged item no longer among
    # them. Not "one less than before the click": the job's later messages (the one that waits
    # for cost to settle) may arrive meanwhile, and did in a fresh-clone run (9, not 8).
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        deadline = time.monotonic() + 15
        while (shown := _badge(page)) != (held := len(api.get("/notifications", params={
                "channel": "in_app", "unacknowledged_only": True, "limit": 100}).json())):
            assert time.monotonic() < deadline, f"badge {shown}, unread on the server {held}"
            page.wait_for_timeout(200)

    assert errors == [], f"the console raised JavaScript errors: {errors}"
