"""In a real browser (Chromium), against the real gateway (uvicorn on a free port) and the
services on real NATS and PostgreSQL: the Notification settings page (UJ5.1.2) saves what the
notification service then holds; the configure page shows each preset's success rate and the
spot interruption rate here (UJ1.2.1, UJ1.2.2); the no-GPU offer says how long this GPU type
took to come back and what on-demand costs more per hour (UJ2.1.2), the FAKE RunPod API having
no spot H100 to rent."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import uuid
from collections.abc import AsyncIterator

import pytest
import uvicorn
from support import eventually, training_file
from test_console import CHROMIUM, CHROMIUM_ARGS, chromium_installed  # noqa: F401  (fixture)

from libs.common.storage import open_store
from proto.jobs import CreateJob, GetJob, RegisterTrainingFile
from proto.notification import GetNotificationPreferences
from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.notification.app import build as build_notification
from services.provisioning.app import build as build_provisioning

async_api = pytest.importorskip("playwright.async_api")
expect = async_api.expect
pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture
async def gateway_url(settings) -> AsyncIterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await eventually(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


@pytest.fixture
async def browser_page() -> AsyncIterator[tuple]:
    """A fresh page, and the JavaScript errors it raises."""
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        await browser.close()


async def test_the_settings_page_saves_channels_addresses_and_triggers(start_service,
                                                                      gateway_url, bus,
                                                                      browser_page):
    await start_service(build_notification)
    page, errors = browser_page
    await page.goto(f"{gateway_url}/#/notification-settings")
    await expect(page.locator("nav a[data-section=notification-settings]")).to_have_text(
        "Notification settings")
    await expect(page.get_by_test_id("pref-trigger-completed")).to_be_checked()

    # A Slack URL the installation does not post to is refused, with the fix shown.
    await page.get_by_test_id("pref-slack").fill("http://10.0.0.5/hook")
    await page.get_by_test_id("pref-save").click()
    await expect(page.get_by_test_id("pref-error-area")).to_contain_text(
        re.compile("Slack", re.I))

    await page.get_by_test_id("pref-slack").fill("")
    await page.get_by_test_id("pref-email").fill("ml-team@example.com")
    await page.get_by_test_id("pref-channel-slack").uncheck()
    await page.get_by_test_id("pref-trigger-stage_changed").uncheck()
    await page.get_by_test_id("pref-stage-training").check()
    await page.get_by_test_id("pref-save").click()
    await expect(page.get_by_test_id("pref-email")).to_have_value("ml-team@example.com")
    await expect(page.get_by_test_id("pref-error-area")).to_be_empty()
    assert errors == []

    saved = (await bus.ask(GetNotificationPreferences()))["user"]
    assert saved["email_to"] == "ml-team@example.com"
    assert saved["channels"] == ["in_app", "email"]
    assert "stage_changed" not in saved["triggers"] and "completed" in saved["triggers"]
    assert saved["stages"] == ["training"]


async def test_configure_page_and_no_gpu_offer_show_this_installations_history(
        start_service, settings, bus, fake, gateway_url, browser_page):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    await start_service(build_provisioning, provider="runpod", runpod_api_key=fake.api_key,
                        runpod_api_url=fake.url, runpod_poll_s=0.1, gpu_price_ttl_s=0.1)
    await start_service(build_monitoring)
    fake.set_stock("NVIDIA H100 PCIe", False, spot_only=True)
    data, key = training_file(), f"training-files/{uuid.uuid4()}/file.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="file.json",
                                              size_bytes=len(data)))
    job = await bus.ask(CreateJob(training_file_id=file["id"], gpu_type="H100-80GB"))
    job_id = uuid.UUID(job["id"])
    rate = job["estimate"]["hourly_rate_cents"]
    await eventually(lambda: _status(bus, job_id, "waiting_for_gpu"))
    page, errors = browser_page

    await page.goto(f"{gateway_url}/#/configure/{file['id']}")
    await expect(page.get_by_test_id("preset-success-balanced")).to_have_text(
        "Success rate here: no history yet")
    await expect(page.get_by_test_id("gpu-types-note")).to_contain_text(
        "Spot interruptions here: no history yet.")

    await page.goto(f"{gateway_url}/#/jobs/{job_id}")
    offer = page.get_by_test_id("gpu-wait-history")
    await expect(offer).to_contain_text("GPUs of this type: no history yet.")
    # RunPod gives no spot price with none to rent: the job's estimated spot rate stands in.
    await expect(offer).to_contain_text(re.compile(
        r"On-demand: [+−]\$\d+\.\d\d/h \(\$\d+\.\d\d/h instead of "
        + re.escape(f"${rate // 100}.{rate % 100:02d}/h, the spot rate")))
    assert errors == []


async def _status(bus, job_id: uuid.UUID, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None
