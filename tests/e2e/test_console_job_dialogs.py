"""The job page's dialogs (issue 17) in a real browser: cancel shows the money spent so far
(UJ4.3.1), resume is a dialog with the checkpoint, the settings a resume may change and a fresh
estimate for the steps left (UJ4.3.2), and the interruption badge opens the history (UJ4.1.2).
Screenshots: tests/e2e/screenshots/{cancel,resume,interruptions}-dialog.png (git-ignored)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from console_dialogs import confirm_cancel, open_cancel_dialog, open_resume_dialog
from journey import TINY_MODEL, upload, wait_for_status
from test_console import chromium_installed, console  # noqa: F401  (fixtures)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SCREENSHOTS = Path(__file__).with_name("screenshots")
SMALL = {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2, "grad_accumulation": 1}


def new_job(api: httpx.Client, file_id: str, **extra) -> dict:
    overrides = {**SMALL, **extra.pop("overrides", {})}
    answer = api.post("/jobs", json={"training_file_id": file_id, "model": TINY_MODEL,
                                     "tags": ["test"], "validation": {"suites": []},
                                     "overrides": overrides, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_cancel_shows_the_spend_resume_is_a_dialog_and_the_badge_opens_the_history(
    stack, console  # noqa: F811
):
    page, errors = console
    SCREENSHOTS.mkdir(exist_ok=True)
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        # Reclaimed once (SIGTERM, as a spot notice) and recovered on its own.
        recovered = new_job(api, file_id, fault_injection={
            "random_interruptions": 1, "signals": ["sigterm"], "grace_s": 20, "seed": 3},
            overrides={"max_steps": 12, "checkpoint_every_steps": 3})
        running = new_job(api, file_id, overrides={"epochs": 20, "checkpoint_every_steps": 2})
        deadline = time.monotonic() + 150
        while api.get(f"/jobs/{running['id']}").json()["progress"]["step"] < 5:
            assert time.monotonic() < deadline, "the job never reached step 5"
            time.sleep(0.3)

    # UJ4.3.1: the cancel dialog says what the run has cost so far, then cancels it.
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{running['id']}")
    dialog = open_cancel_dialog(page)
    page.screenshot(path=str(SCREENSHOTS / "cancel-dialog.png"))
    confirm_cancel(page, dialog)

    # UJ4.3.2: a dialog, not a browser confirm: checkpoints, the fixed and editable settings,
    # a fresh estimate for the steps left, and a GPU switch that changes the plan.
    resume, newest = open_resume_dialog(page)
    assert newest >= 2 and newest % 2 == 0
    expect(resume.get_by_test_id("resume-from")).to_have_text(
        re.compile(rf"^Resume from step {newest} \(\d+% complete\)$"))
    expect(resume.get_by_test_id("resume-previous-config")).to_contain_text("batch 2 × 1")
    total = running["estimate"]["total_steps"]
    expect(resume.get_by_test_id("resume-steps-left")).to_have_text(f"{total - newest} of {total}")
    expect(resume.get_by_test_id("resume-cost")).to_have_text("Free (local CPU)")
    expect(resume.get_by_test_id("resume-changes")).to_have_text("Same configuration as before.")
    resume.get_by_test_id("resume-gpu-type").select_option("H100-80GB")
    expect(resume.get_by_test_id("resume-rate")).to_contain_text("H100-80GB spot")
    expect(resume.get_by_test_id("resume-cost")).to_contain_text("$")
    expect(resume.get_by_test_id("resume-changes")).to_contain_text("Gpu type cpu → H100-80GB")
    resume.get_by_test_id("resume-checkpoint-every").fill("4")
    expect(resume.get_by_test_id("resume-changes")).to_contain_text(
        "Checkpoint every steps 2 → 4")
    page.screenshot(path=str(SCREENSHOTS / "resume-dialog.png"))
    resume.get_by_test_id("resume-confirm").click()
    expect(page).to_have_url(re.compile(r"#/jobs/(?!" + running["id"] + r")[0-9a-f-]{36}$"))
    child_id = page.url.rsplit("/", 1)[1]
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        child = api.get(f"/jobs/{child_id}").json()
        api.post(f"/jobs/{child_id}/cancel", json={"reason": "Testing"})
        assert child["lineage"]["kind"] == "resume"
        assert child["lineage"]["checkpoint_step"] == newest
        assert child["gpu_type"] == "H100-80GB"
        assert child["hyperparameters"]["checkpoint_every_steps"] == 4
        finished = wait_for_status(api, recovered["id"], {"completed", "failed"})
    assert finished["status"] == "completed"
    history = finished["interruption_history"]

    # UJ4.1.2: the badge opens the history: step, downtime, steps lost and cost; the totals.
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{recovered['id']}")
    page.get_by_test_id("interruption-badge").click()
    table = page.get_by_test_id("interruption-dialog").get_by_test_id("interruption-table")
    expect(table.get_by_test_id("interruption-row")).to_have_count(1)
    item = history["items"][0]
    expect(table.get_by_test_id("interruption-step")).to_have_text(f"Step {item['step']}")
    expect(table.get_by_test_id("interruption-steps-lost")).to_have_text(str(item["steps_lost"]))
    expect(table.get_by_test_id("interruption-downtime")).to_have_text(re.compile(r"\d+s$"))
    # The downtime at this job's rate (the local CPU's is 0), as the API reckons it.
    expect(table.get_by_test_id("interruption-cost")).to_have_text(
        f"${item['extra_cost_cents'] / 100:.2f}")
    expect(table.get_by_test_id("interruption-total-cost")).to_have_text(
        f"${history['extra_cost_cents'] / 100:.2f}")
    expect(table.get_by_test_id("interruption-totals")).to_contain_text("1 interruption")
    expect(table.get_by_test_id("interruption-total-steps-lost")).to_have_text(
        str(item["steps_lost"]))
    page.screenshot(path=str(SCREENSHOTS / "interruptions-dialog.png"))
    assert errors == [], f"the console raised JavaScript errors: {errors}"


def test_the_gpu_list_and_its_prices_come_from_the_gpu_types_endpoint(stack, console):  # noqa: F811
    page, errors = console
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        offered = api.get("/gpu-types").json()
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/configure/{file_id}")
    options = page.get_by_test_id("gpu-type").locator("option")
    expect(options).to_have_count(len(offered["gpu_types"]))
    for row, option in zip(offered["gpu_types"], options.all(), strict=True):
        assert option.get_attribute("value") == row["gpu_type"]
        assert option.get_attribute("data-available") == str(row["available"]).lower()
    expect(options.first).to_have_text("CPU (this machine, small models) · free")
    # The local provider gives no GPU prices: the estimate's list prices stand, and it says so.
    expect(page.locator("option[value=H100-80GB]")).to_have_text(
        "NVIDIA H100 PCIe · list price in the estimate")
    # UJ1.2.2: the note leads with where the prices come from, then this installation's spot
    # history. A job from an earlier test may finish while the page loads, so the figures are
    # read again afterwards and the page must show the ones from before or after.
    note = page.get_by_test_id("gpu-types-note")
    expect(note).to_have_text(re.compile("^" + re.escape(offered["notice"]) + " Spot"))
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        later = api.get("/gpu-types").json()
    shown = note.inner_text()
    for said in (offered, later):
        assert said["spot_interruption"] is not None, said.get("history_notice")
    assert any(f"Spot interruptions here: {said['spot_interruption']['text']}." in shown
               and "Spot success with automatic checkpoint recovery: "
               f"{said['pricing_success']['spot']['text']}." in shown
               for said in (offered, later)), shown
    page.screenshot(path=str(SCREENSHOTS / "configure-gpu-types.png"), full_page=True)
    assert errors == [], f"the console raised JavaScript errors: {errors}"
