"""The job page's cancel and resume dialogs as a person uses them (UJ4.3.1, UJ4.3.2); shared by
the browser tests that walk through them, each adding what it checks on top."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect


def open_cancel_dialog(page: Page) -> Locator:
    """The dialog says what the run has cost so far and how far it got."""
    page.get_by_test_id("cancel-button").click()
    dialog = page.get_by_test_id("cancel-dialog")
    expect(dialog.get_by_test_id("cancel-spent")).to_have_text(
        re.compile(r"^\$\d+\.\d\d spent so far"))
    expect(dialog.get_by_test_id("cancel-current")).to_contain_text("% complete")
    return dialog


def confirm_cancel(page: Page, dialog: Locator) -> None:
    """A reason, then the confirmation box: the button stays off until it is ticked."""
    dialog.get_by_test_id("cancel-reason").select_option("Testing")
    expect(dialog.get_by_test_id("cancel-confirm")).to_be_disabled()
    dialog.get_by_test_id("cancel-confirm-check").check()
    dialog.get_by_test_id("cancel-confirm").click()
    expect(page.get_by_test_id("cancelled-panel")).to_be_visible(timeout=30_000)


def open_resume_dialog(page: Page) -> tuple[Locator, int]:
    """A dialog, never a browser confirm, offering the newest checkpoint first; its step."""
    page.on("dialog", lambda d: pytest.fail(f"a browser dialog opened: {d.message}"))
    page.get_by_test_id("resume-button").click()
    resume = page.get_by_test_id("resume-dialog")
    expect(resume.get_by_test_id("resume-checkpoint").locator("option").first).to_have_text(
        re.compile(r"^Step \d+ \(\d+% complete\) · newest$"))
    return resume, int(resume.get_by_test_id("resume-checkpoint").input_value())
