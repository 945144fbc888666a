"""Real receivers for notifications on loopback: an SMTP server (aiosmtpd) and a Slack-style
incoming-webhook HTTP server. Each records what it accepted, with the time it arrived, and can
be told to refuse the next N deliveries (or every one)."""

from __future__ import annotations

import asyncio
import email
import json
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from libs.common.ports import free_port


class _Refusals:
    def __init__(self) -> None:
        self.fail_next = 0
        self.fail_always = False
        self.refused = 0
        self._lock = threading.Lock()

    def refuse_now(self) -> bool:
        with self._lock:
            if self.fail_always or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                self.refused += 1
                return True
            return False


class SmtpReceiver(_Refusals):
    """aiosmtpd on its own thread; `received` holds (arrival monotonic time, parsed message)."""

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()
        self.received: list[tuple[float, Message]] = []
        self.delay_s = 0.0  # a slow server: each DATA waits this long before its answer
        self.sending = 0  # DATA commands begun (accepted or not)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sending += 1
        await asyncio.sleep(self.delay_s)
        if self.refuse_now():
            return "451 4.3.0 Temporary failure, try again later"
        self.received.append((time.monotonic(), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        return [m for _, m in self.received]

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class SlackReceiver(_Refusals):
    """An HTTP server taking webhook POSTs at any path; `payloads` holds the JSON bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[float, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.refuse_now():
                    self._answer(500, b"internal_error")
                    return
                receiver.received.append((time.monotonic(), json.loads(body)))
                self._answer(200, b"ok")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/services/T000/B000/secret"

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [p for _, p in self.received]

    def start(self) -> SlackReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
