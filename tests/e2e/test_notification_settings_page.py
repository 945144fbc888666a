"""UJ5.1.2 "notifications based on preferences": the console's Notification settings page in a
real browser (Chromium), against the real gateway (uvicorn on a free port) and the notification
service on real NATS and PostgreSQL. What the page saves is what the service then holds."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import AsyncIterator

import pytest
import uvicorn
from support import eventually
from test_console import CHROMIUM, CHROMIUM_ARGS, chromium_installed  # noqa: F401  (fixture)

from proto.notification import GetNotificationPreferences
from services.gateway.app import create_app
from services.notification.app import build as build_notification

async_api = pytest.importorskip("playwright.async_api")
expect = async_api.expect
pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture
async def gateway_url(settings, start_service) -> AsyncIterator[str]:
    await start_service(build_notification)
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


async def test_the_settings_page_saves_channels_addresses_and_triggers(gateway_url, bus):
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
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
        await browser.close()
    assert errors == []

    saved = (await bus.ask(GetNotificationPreferences()))["user"]
    assert saved["email_to"] == "ml-team@example.com"
    assert saved["channels"] == ["in_app", "email"]
    assert "stage_changed" not in saved["triggers"] and "completed" in saved["triggers"]
    assert saved["stages"] == ["training"]
