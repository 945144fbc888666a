"""The report tab and share links in a real browser (issue 13, UJ5.3.1, UJ5.3.2).

A tiny-model job with a small validation plan runs to completed on a stack whose gateway requires
API keys (as one beyond loopback does), so "no API key" means something: the owner's console holds
a member key; the person the link is sent to opens it in a FRESH browser context (no cookies, no
local storage, no key). The owner generates a partial report (EI waits for review without a judge),
previews it, downloads the PDF, shares it, sees the view counted and revokes the link; the visitor
sees the read-only dashboard, then the 410 page. Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from journey import SMALL_VALIDATION, start_job, upload, wait_for_status
from support import SAMPLE_FILE
from test_console import CHROMIUM, CHROMIUM_ARGS, chromium_installed  # noqa: F401 (autouse)

from libs.common.ports import free_port
from libs.common.settings import Settings
from services.cli.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs Playwright (pip install playwright)")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).with_name("screenshots")
KEY_STORE = "brightrun.apiKey"  # where the console keeps its key (console/index.html)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    """The whole stack with API keys required, and a member key made by `brightrun keys`."""
    state = tmp_path_factory.mktemp("report-stack")
    stack = Stack(state, durable=False)
    settings = stack.up({"BRIGHTRUN_REQUIRE_API_KEYS": "1"}, gateway_port=free_port())
    try:
        made = subprocess.run(
            [sys.executable, "-m", "services.cli", "--state-dir", str(state), "keys", "create",
             "--role", "member", "--name", "e2e report owner"],
            capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stdout + made.stderr
        yield settings, made.stdout.splitlines()[0].strip()
    finally:
        stack.down()


def _completed_job(api: httpx.Client) -> tuple[str, dict[str, Any]]:
    """A completed tiny-model job, once perplexity is measured and EI awaits review."""
    uploaded = upload(api, "sample.json", SAMPLE_FILE.read_bytes())
    assert uploaded.status_code == 201, uploaded.text
    job_id = start_job(api, uploaded.json()["id"], validation=SMALL_VALIDATION, max_steps=4)["id"]
    assert wait_for_status(api, job_id, {"completed", "failed"}, 300)["status"] == "completed"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        suites = {s["suite"]: s for s in api.get(f"/jobs/{job_id}/validation").json()["suites"]}
        if suites["perplexity"]["status"] == "completed" and \
                suites["emotional_intelligence"]["status"] == "awaiting_review":
            return job_id, suites["perplexity"]
        time.sleep(0.5)
    raise AssertionError(f"validation of {job_id} never got there: {suites}")


def _share_views(page):
    """The views cell of the owner's share list, the tab opened afresh (it fetches the list)."""
    page.get_by_test_id("tab-overview").click()
    page.get_by_test_id("tab-report").click()
    return page.get_by_test_id("share-views")


def test_generate_preview_share_open_in_a_fresh_context_count_the_view_and_revoke(guarded):
    settings, key = guarded
    base = settings.gateway_url.rstrip("/")
    SCREENSHOTS.mkdir(exist_ok=True)
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        job_id, perplexity = _completed_job(api)
        job_name = api.get(f"/jobs/{job_id}").json()["name"]
    headline = perplexity["headline"]
    assert headline, perplexity

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            owner = browser.new_context(viewport={"width": 1280, "height": 1000},
                                        accept_downloads=True)
            # Top frame only: the preview's sandboxed iframe has no storage (and needs none).
            owner.add_init_script(
                f"if (window === window.top) localStorage.setItem({KEY_STORE!r}, {key!r})")
            page = owner.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # 1. Generate: refused before validation ends (EI awaits review), then partial.
            page.goto(f"{base}/#/jobs/{job_id}")
            page.get_by_test_id("tab-report").click()
            expect(page.get_by_test_id("report-status")).to_have_attribute("data-status", "none")
            with page.expect_response(lambda r: r.request.method == "POST"
                                      and r.url.endswith("/report"), timeout=30_000) as asked:
                page.get_by_test_id("generate-report").click()
            assert asked.value.status == 409, (asked.value.status, asked.value.text()[:300])
            expect(page.get_by_test_id("report-error")).to_contain_text("partial", timeout=15_000)
            page.get_by_test_id("generate-partial").click()
            expect(page.get_by_test_id("report-status")).to_have_attribute(
                "data-status", "ready", timeout=60_000)
            expect(page.get_by_test_id("report-version")).to_have_count(1)
            expect(page.get_by_test_id("report-version")).to_contain_text("(partial)")
            expect(page.get_by_test_id("report-summary")).to_contain_text(headline)

            # The preview is the report's own HTML: the perplexity headline is the API's.
            preview = page.frame_locator("[data-testid=report-preview]")
            expect(preview.locator("[data-suite=perplexity]")).to_contain_text(headline)
            expect(preview.locator("text=Partial report")).to_be_visible()
            page.get_by_test_id("report-card").screenshot(path=str(SCREENSHOTS / "report-tab.png"))
            page.get_by_test_id("report-preview").screenshot(
                path=str(SCREENSHOTS / "report-preview.png"))
            with page.expect_download() as download:
                page.get_by_test_id("download-report").click()
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
            assert download.value.suggested_filename.endswith("-v1.pdf")

            # 2. Share: 7 days, one recipient by email, no Slack; the link is on the page.
            page.get_by_test_id("share-days").fill("7")
            page.get_by_test_id("share-email").check()
            page.get_by_test_id("share-recipients").fill("cfo@client.example")
            page.get_by_test_id("share-slack").uncheck()
            page.get_by_test_id("share-create").click()
            url = page.get_by_test_id("share-url").text_content() or ""
            assert re.fullmatch(rf"{re.escape(base)}/share/[\w.\-]+", url), url
            row = page.get_by_test_id("share-row")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("cfo@client.example")
            expect(row).not_to_contain_text("Slack")
            expect(row.get_by_test_id("share-views")).to_have_text("Not opened yet")
            page.get_by_test_id("share-card").screenshot(path=str(SCREENSHOTS / "report-share.png"))

            # A fresh context: no cookies, no local storage, no key.
            visitor = browser.new_context(viewport={"width": 1100, "height": 900})
            public = visitor.new_page()
            public.set_default_timeout(15_000)
            public.on("pageerror", lambda exc: errors.append(f"share page: {exc}"))
            opened = public.goto(url)
            assert opened is not None and opened.status == 200
            assert visitor.cookies() == []
            expect(public.locator("h1")).to_have_text(job_name)
            expect(public.locator("[data-headline=perplexity]")).to_contain_text(headline)
            expect(public.locator("[data-suite=emotional_intelligence]")).to_be_visible()
            pdf_link = public.get_by_test_id("share-pdf")
            assert pdf_link.get_attribute("href") == f"/share/{url.rsplit('/', 1)[1]}/report.pdf"
            # Read-only: no console navigation, no script, no control that writes anything.
            assert public.locator("nav, script, form, button, input, textarea, select").count() == 0
            hrefs = public.locator("a").evaluate_all("links => links.map(a => a.href)")
            assert hrefs == [f"{url}/report.pdf"], hrefs
            public.screenshot(path=str(SCREENSHOTS / "share-page.png"), full_page=True)
            expect(_share_views(page)).to_contain_text("1 view,")

            pdf = visitor.request.get(f"{url}/report.pdf")
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
            # The token opens nothing else: no other job, no API route, no write.
            token = url.rsplit("/", 1)[1]
            other = uuid.uuid4()
            for path, status in ((f"/share/{token}/jobs/{other}", 404),
                                 (f"/share/{token}/jobs/{job_id}/report.pdf", 404),
                                 (f"/share/{token}/report.html", 404),
                                 (f"/share/{token}/../api/v1/jobs/{job_id}", 404),  # stays in /share/
                                 (f"/api/v1/jobs/{job_id}/report.pdf?api_key={token}", 401),
                                 (f"/api/v1/jobs/{other}/report.pdf?api_key={token}", 401)):
                got = visitor.request.get(base + path, max_redirects=0)
                assert got.status == status, (path, got.status, got.text()[:200])
            for bearer in (f"/api/v1/jobs/{job_id}/shares", f"/api/v1/jobs/{other}/report"):
                got = visitor.request.get(base + bearer, headers={"Authorization": f"Bearer {token}"})
                assert got.status == 401, (bearer, got.status)
            wrote = visitor.request.post(url, data="{}")
            assert wrote.status == 405, wrote.status
            # The dashboard and the PDF count; the refused requests do not.
            expect(_share_views(page)).to_contain_text("2 views,")

            # 3. Revoke in the console; the visitor's reload gets the 410 page.
            page.get_by_test_id("share-revoke").click()
            expect(page.get_by_test_id("share-row")).to_have_attribute("data-status", "revoked")
            expect(page.get_by_test_id("share-revoke")).to_have_count(0)
            gone = public.reload()
            assert gone is not None and gone.status == 410
            expect(public.locator("h1")).to_have_text("This link is no longer available")
            expect(public.get_by_test_id("share-error")).to_contain_text("revoked")
            expect(public.locator("body")).to_contain_text(re.compile("ask", re.IGNORECASE))
            public.screenshot(path=str(SCREENSHOTS / "share-revoked.png"), full_page=True)
            assert errors == [], f"JavaScript errors: {errors}"
        finally:
            browser.close()
