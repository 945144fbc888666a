"""The console's Budget, Compare and Templates pages (UJ6.3.2, UJ1.3.2, UJ6.4.1, UJ6.4.2) as a
person drives them, on the whole stack with two real tiny training runs."""

from __future__ import annotations

import re

import httpx
import pytest
from journey import TINY_MODEL, upload, wait_for_status
from test_console import chromium_installed, console  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
expect = pytest.importorskip("playwright.sync_api").expect


def test_budget_compare_and_templates_pages(stack, console):  # noqa: F811
    page, errors = console
    base = stack.gateway_url.rstrip("/")
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        a, b = (api.post("/jobs", json={
            "training_file_id": file_id, "model": TINY_MODEL, "validation": {"suites": []},
            "overrides": {"epochs": 1, "max_seq_len": 256, "micro_batch_size": 2,
                          "grad_accumulation": 1, "max_steps": 4, "learning_rate": lr}}).json()
            for lr in (2e-4, 5e-4))
        for job in (a, b):
            assert wait_for_status(api, job["id"], {"completed", "failed"})["status"] == "completed"

    # Budget: the figures, the gauge once a limit is set, the CSV export.
    page.goto(f"{base}/#/budget")
    expect(page.get_by_test_id("budget-spent")).to_contain_text("$")
    expect(page.get_by_test_id("budget-limit")).to_contain_text("Not set")
    page.get_by_test_id("budget-limit-input").fill("500")
    page.get_by_test_id("budget-limit-save").click()
    expect(page.get_by_test_id("budget-limit")).to_contain_text("$500")
    expect(page.get_by_test_id("budget-gauge")).to_have_attribute("data-percent", "0")
    expect(page.get_by_test_id("budget-export")).to_have_attribute("href", re.compile(r"export\.csv"))

    # The review step shows the budget impact before a job starts.
    page.goto(f"{base}/#/configure/{file_id}")
    expect(page.get_by_test_id("review-budget")).to_contain_text("of $500 remaining")

    # Compare: opened from a job with it ticked; tick the other, compare.
    page.goto(f"{base}/#/compare/{a['id']}")
    page.locator(f"[data-testid=compare-option][data-job-id='{b['id']}'] input").check()
    page.get_by_test_id("compare-button").click()
    expect(page.get_by_test_id("comparison-row")).to_have_count(2)
    expect(page.get_by_test_id("comparison-rule")).to_contain_text("quality per dollar")
    expect(page.get_by_test_id("comparison-curve")).to_have_count(2)
    expect(page.get_by_test_id("comparison-differences")).to_contain_text("learning rate")
    expect(page.get_by_test_id("comparison-pdf")).to_have_attribute("href", re.compile(b["id"]))

    # Save as template from a completed job; the same name again says how to fix it.
    page.goto(f"{base}/#/jobs/{a['id']}")
    page.get_by_test_id("tab-template").click()
    page.get_by_test_id("template-name").fill("Tiny and quick")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-saved")).to_be_visible()
    page.get_by_test_id("tab-overview").click()
    page.get_by_test_id("tab-template").click()
    page.get_by_test_id("template-name").fill("tiny and quick")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-error-message")).to_contain_text("already exists")
    page.goto(f"{base}/#/templates")
    expect(page.get_by_test_id("template-item")).to_have_count(1)
    expect(page.get_by_test_id("template-item")).to_contain_text("Tiny and quick")

    # A tagged template; the library filters by tag (GET /templates?tag=) and deletes one.
    page.goto(f"{base}/#/jobs/{b['id']}")
    page.get_by_test_id("tab-template").click()
    page.get_by_test_id("template-name").fill("Tiny finance")
    page.get_by_test_id("template-tags").fill("finance, tiny")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-saved")).to_be_visible()
    page.goto(f"{base}/#/templates")
    items = page.get_by_test_id("template-item")
    expect(items).to_have_count(2)
    page.get_by_test_id("template-tag-filter").select_option("finance")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Tiny finance")
    page.once("dialog", lambda dialog: dialog.accept())
    items.get_by_test_id("template-delete").click()
    expect(page.get_by_test_id("templates-empty")).to_contain_text("No templates tagged “finance”")
    page.get_by_test_id("template-tag-filter").select_option("")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Tiny and quick")

    assert errors == [], f"the console raised JavaScript errors: {errors}"
