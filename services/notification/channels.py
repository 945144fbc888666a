"""The two channels that leave the building: email over SMTP, and Slack incoming webhooks.

Each `send` returns when the receiving server has accepted the message and raises otherwise;
the dispatcher turns a raise into a retry.
"""

from __future__ import annotations

import asyncio
import smtplib
from typing import Any

import httpx

from libs.common.settings import Settings
from services.notification.domain import message_id, slack_webhook_problem
from services.notification.messages import email_message, slack_payload


class DeliveryError(Exception):
    """The receiver refused or could not be reached; the message says which and why."""


class EmailChannel:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, row: dict[str, Any]) -> None:
        msg = email_message(row, self.settings.smtp_from, message_id(row["id"]))
        # smtplib is the standard library's real SMTP client; a thread keeps the loop free.
        await asyncio.to_thread(self._send_blocking, msg)

    def _send_blocking(self, msg: Any) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc


class SlackChannel:
    def __init__(self, allowed_hosts: str, timeout_s: float = 10.0) -> None:
        self.allowed_hosts = allowed_hosts
        self.timeout_s = timeout_s

    async def send(self, row: dict[str, Any]) -> None:
        # Checked again here: a preference saved before the operator narrowed the list.
        problem = slack_webhook_problem(row["destination"], self.allowed_hosts)
        if problem:
            raise DeliveryError(problem)
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(row["destination"], json=slack_payload(row))
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Slack webhook unreachable: {exc!r}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"Slack webhook answered {response.status_code}: "
                                f"{response.text[:200]}")
