"""A FAKE OpenAI-compatible judge, for tests only: the LLM endpoint is the outside edge we fake.

It speaks the real chat-completions wire protocol: `POST /v1/chat/completions` with
`{"model", "messages", "temperature", "response_format"}`, answered with a `chat.completion`
object (`choices[0].message.content`, `usage`). It "judges" deterministically from the text:

- EI pairs (the prompt holds "Reply A" and "Reply B"): a reply that says "understand" scores
  empathy 4, clarity 4, appropriateness 4; any other scores 2, 3, 2.
- Brand voice (numbered "Characteristics"): characteristic i scores 2 + (i % 4) capped at 5,
  so characteristic 4 scores 2 (under 3: flagged); a reply saying "guaranteed" violates item 1.

Modes (`mode`): "normal"; "favour_a" (+1 to every score of reply A, as judges favouring the
first position do); "fail" (HTTP 500); "timeout" (answers after `delay_s`); "garbage" (prose,
no JSON). `fail_when`: a text whose presence in the prompt makes that call fail with a 500.
`delay_s` slows every answer. `calls` records each prompt's client message.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DIMENSIONS = ("empathy", "clarity", "appropriateness")


def _between(text: str, label: str) -> str:
    match = re.search(rf"{label}:\n<<<\n(.*?)\n>>>", text, re.S)
    return match.group(1) if match else ""


def ei_scores(reply: str) -> dict[str, int]:
    good = "understand" in reply.lower()
    return dict(zip(DIMENSIONS, (4, 4, 4) if good else (2, 3, 2), strict=True))


class FakeJudge:
    def __init__(self) -> None:
        self.mode = "normal"
        self.fail_when: str | None = None
        self.delay_s = 0.0
        self.calls: list[str] = []
        self.authorization: list[str | None] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _content(self, user: str) -> str:
        if self.mode == "garbage":
            return "Both replies seem fine to me, honestly!"
        if "Reply A:" in user:
            a, b = ei_scores(_between(user, "Reply A")), ei_scores(_between(user, "Reply B"))
            if self.mode == "favour_a":
                a = {k: min(5, v + 1) for k, v in a.items()}
            return json.dumps({"A": a, "B": b, "rationale": "fake judge: keyword rule"})
        count = len(re.findall(r"^\d+\. ", user.split("Characteristics:\n", 1)[-1]
                               .split("\n\nAvoided behaviours:")[0], re.M))
        reply = _between(user, "Advisor's reply")
        return json.dumps({"scores": {str(i): min(5, 2 + i % 4) for i in range(1, count + 1)},
                           "violations": [1] if "guaranteed" in reply.lower() else [],
                           "rationale": "fake judge: keyword rule"})

    def answer(self, body: dict[str, Any], authorization: str | None) -> tuple[int, dict[str, Any]]:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        client = user.split("Client's message:\n", 1)[-1].split("\n\n", 1)[0]
        with self._lock:
            self.calls.append(client)
            self.authorization.append(authorization)
        if self.delay_s or self.mode == "timeout":
            time.sleep(self.delay_s or 5.0)
        if self.mode == "fail" or (self.fail_when and self.fail_when in user):
            return 500, {"error": {"message": "fake judge: internal error", "type": "server_error"}}
        content = self._content(user)
        return 200, {
            "id": f"chatcmpl-fake-{len(self.calls)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "fake-judge"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(user.split()), "completion_tokens": len(content.split()),
                      "total_tokens": len(user.split()) + len(content.split())},
        }

    def start(self) -> FakeJudge:
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._reply(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                status, payload = judge.answer(body, self.headers.get("Authorization"))
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
