"""The whole journey a person clicks through in the console (issue 17), in a real browser on the
whole stack: upload a file, read its eligibility, pick a preset, see the estimate, review it with
the budget impact (UJ1.3.2) and the three confirmations, start, watch the step counter move,
cancel (the dialog says what was spent), resume (the dialog), and download the adapter.

The console has no model picker (it trains the platform's default model), so the test swaps the
tiny random Llama, no stage 5 and a checkpoint every 2 steps into the one request the page sends
to create the job; every other field of it is the page's own. The GPU is an H100 the e2e stack
runs on this machine at the H100's price (BRIGHTRUN_SIMULATE_GPUS_LOCALLY), so money is spent.
Screenshots of each page and dialog: tests/e2e/screenshots/journey-*.png (git-ignored).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from console_dialogs import confirm_cancel, open_cancel_dialog, open_resume_dialog
from journey import TINY_MODEL
from test_console import chromium_installed, console  # noqa: F401  (fixtures)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]  # two tiny runs, start to end
SCREENSHOTS = Path(__file__).with_name("screenshots")
MAX_STEPS = 12  # well within one epoch of the sample (63 pairs at batch 1), so it is the total
# The step the page shows, read in the browser: true once it has passed `n`.
STEP_PASSED = """n => {
  const m = (document.querySelector('[data-testid=progress-steps]') || {}).textContent?.match(/Step ([\\d,]+) of/);
  return m !== null && m !== undefined && Number(m[1].replace(/,/g, '')) > n;
}"""


def shot(page: sync_api.Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


def tiny_run(route: sync_api.Route) -> None:
    """The page's POST /api/v1/jobs, on the tiny model (see the module's docstring)."""
    if route.request.method != "POST":
        return route.continue_()
    body = json.loads(route.request.post_data or "{}")
    body |= {"model": TINY_MODEL, "validation": {"suites": []},
             "overrides": {**body["overrides"], "checkpoint_every_steps": 2}}
    return route.continue_(post_data=json.dumps(body))


def set_limit(stack, cents: int) -> None:
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        answer = api.put("/budget", json={"monthly_limit_cents": cents})
        assert answer.status_code == 200, answer.text


def test_a_person_uploads_configures_reviews_starts_cancels_resumes_and_downloads(
    stack, console  # noqa: F811
):
    page, errors = console
    SCREENSHOTS.mkdir(exist_ok=True)
    page.route("**/api/v1/jobs", tiny_run)
    set_limit(stack, 0)  # nothing left this month: the review must say a paid job is refused

    # Upload, then the file's eligibility.
    page.get_by_test_id("file-upload-input").set_input_files(str(stack.sample_file))
    expect(page.get_by_test_id("upload-success")).to_be_visible(timeout=45_000)
    detail = page.get_by_test_id("file-detail")
    expect(detail.get_by_test_id("eligibility-ok")).to_contain_text("Ready to train")
    expect(detail.get_by_test_id("stat-conversations")).to_contain_text(re.compile(r"\d"))
    shot(page, "1-file")

    # Configure: pick a preset, a paid GPU, and see the estimate.
    detail.get_by_test_id("select-file-button").click()
    expect(page.get_by_test_id("configure-view")).to_be_visible()
    page.get_by_test_id("preset-card-conservative").click()
    expect(page.get_by_test_id("preset-card-conservative")).to_have_attribute("data-selected", "true")
    expect(page.get_by_test_id("preset-card-balanced")).to_have_attribute("data-selected", "false")
    page.get_by_test_id("gpu-type").select_option("H100-80GB")
    expect(page.get_by_test_id("estimate-cost")).to_contain_text("$")
    expect(page.get_by_test_id("estimate-duration")).to_have_text(re.compile(r"\d"))

    # Review: the summary, and a budget that cannot pay for it blocks the start with the reason.
    review = page.get_by_test_id("review-summary")
    expect(review).to_contain_text("Conservative")
    expect(review).to_contain_text("H100-80GB · spot")
    budget = review.get_by_test_id("review-budget")
    expect(budget.get_by_test_id("review-budget-spent")).to_have_text("$0.00 spent this month")
    expect(budget.get_by_test_id("review-budget-remaining")).to_have_text(
        "$0.00 of $0.00 remaining")
    expect(budget).to_have_attribute("data-fits", "false")
    expect(budget.get_by_test_id("review-budget-refusal")).to_contain_text("more than the $0.00 left")
    start = page.get_by_test_id("start-training")
    for name in ("confirm-reviewed", "confirm-cost", "confirm-budget"):
        expect(start).to_be_disabled()
        page.get_by_test_id(name).check()
    expect(start).to_be_disabled()  # all three ticked, and still refused by the budget

    # A colleague raises the limit; a shorter run (a new estimate) asks the budget again.
    set_limit(stack, 50_000)
    page.get_by_test_id("overrides").locator("summary").click()
    for field, value in (("max-steps", MAX_STEPS), ("max-seq-len", 64), ("micro-batch-size", 1),
                         ("grad-accumulation", 1), ("epochs", 1)):
        page.get_by_test_id(f"override-{field}").fill(str(value))
    expect(budget).to_have_attribute("data-fits", "true")
    expect(budget.get_by_test_id("review-budget-remaining")).to_have_text(
        "$500 of $500 remaining")
    expect(budget.get_by_test_id("review-budget-share")).to_have_text(
        re.compile(r"^This job: up to \$\d+\.\d\d \(\d+% of what remains\)$"))
    expect(budget.get_by_test_id("review-budget-refusal")).to_have_count(0)
    expect(review).to_contain_text(f"stop at step {MAX_STEPS}")
    expect(start).to_be_enabled()
    page.get_by_test_id("confirm-budget").uncheck()  # each of the three gates the button
    expect(start).to_be_disabled()
    page.get_by_test_id("confirm-budget").check()
    shot(page, "2-configure-review")

    # Start: the job's page, its step counter moving live.
    start.click()
    expect(page).to_have_url(re.compile(r"#/jobs/[0-9a-f-]{36}$"), timeout=20_000)
    job_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("progress-steps")).to_have_text(
        re.compile(rf"\(Step \d+ of {MAX_STEPS}\)"), timeout=120_000)
    page.wait_for_function(STEP_PASSED, arg=0, timeout=60_000)
    page.wait_for_function(STEP_PASSED, arg=3, timeout=60_000)  # it moves; a checkpoint at 2
    shot(page, "3-job-training")

    # Cancel: the dialog says what the run has cost so far.
    dialog = open_cancel_dialog(page)
    expect(dialog.get_by_test_id("cancel-spent")).to_have_text(
        re.compile(r"^\$\d+\.\d\d spent so far at \$[\d.,]+/hr"))
    shot(page, "4-cancel-dialog")
    confirm_cancel(page, dialog)

    # Resume: a dialog with the newest checkpoint and the steps it leaves.
    resume, newest = open_resume_dialog(page)
    expect(resume.get_by_test_id("resume-steps-left")).to_have_text(
        f"{MAX_STEPS - newest} of {MAX_STEPS}")
    expect(resume.get_by_test_id("resume-cost")).to_contain_text("$")
    shot(page, "5-resume-dialog")
    resume.get_by_test_id("resume-confirm").click()
    expect(page).to_have_url(re.compile(r"#/jobs/(?!" + job_id + r")[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("parent-job-link")).to_have_attribute("href", f"#/jobs/{job_id}")

    # The resumed run finishes; its adapter downloads from the page.
    download_button = page.get_by_test_id("download-adapter")
    expect(download_button).to_be_visible(timeout=240_000)
    expect(page.get_by_test_id("progress-steps")).to_have_text(f"(Step {MAX_STEPS} of {MAX_STEPS})")
    shot(page, "6-job-completed")
    with page.expect_download() as download:
        download_button.click()
    adapter = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(adapter.namelist())

    assert errors == [], f"the console raised JavaScript errors: {errors}"
