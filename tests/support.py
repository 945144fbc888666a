"""Test-side helpers: a bus client that calls, publishes and collects; training-file builders."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import nats
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DeliverPolicy

from libs.common.bus import STREAMS, ensure_streams, make_broker, publish_event, stream_for
from libs.common.services import ping_subject
from proto.api import ServiceError
from proto.base import encode

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILE = ROOT / "services" / "cli" / "samples" / "financial-advisory-sample.json"


class TestBus:
    """Ask services like the gateway does; watch subjects like a consumer would."""

    __test__ = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.broker = make_broker(url, "tests")
        self.nc: nats.NATS | None = None

    async def start(self) -> None:
        await self.broker.connect()
        await ensure_streams(self.broker)
        self.nc = await nats.connect(self.url)

    async def stop(self) -> None:
        await self.nc.close()
        await self.broker.stop()

    async def ask(self, request: Any) -> Any:
        from libs.common.bus import call

        return await call(self.broker, request, 10.0)

    async def ask_error(self, request: Any) -> ServiceError:
        try:
            await self.ask(request)
        except ServiceError as exc:
            return exc
        raise AssertionError(f"{type(request).__name__} unexpectedly succeeded")

    async def publish(self, event: Any, msg_id: str | None = None) -> None:
        if msg_id is None:
            await publish_event(self.broker, event)
            return
        subject = type(event).subject
        stream = next(n for n, s in STREAMS.items() if subject.split(".")[0] + ".>" in s)
        await self.broker.publish(encode(event), subject, headers={"Nats-Msg-Id": msg_id},
                                  stream=stream)

    async def stored(self, subject: str) -> list[bytes]:
        """Every message the stream holds on `subject`, oldest first."""
        js = self.nc.jetstream()
        sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        bodies: list[bytes] = []
        try:
            while True:
                msg = await sub.next_msg(timeout=0.3)
                bodies.append(msg.data)
        except nats.errors.TimeoutError:
            pass
        finally:
            await sub.unsubscribe()
        return bodies


async def handled(bus: TestBus, *subjects: str, services: tuple[Any, ...] = (),
                  timeout_s: float = 15.0) -> None:
    """The proof a test needs before asserting that an event changed nothing: the event got
    there. Waits until every durable consumer of each subject has acked everything stored on
    it so far (its handler returned; a nak'd message still counts as pending), then until each
    of `services` (runtimes) has published everything its outbox holds."""
    jsm = bus.nc.jsm()

    async def consumers_done() -> bool:
        for subject in subjects:
            infos = [c for c in await jsm.consumers_info(stream_for(subject))
                     if c.config.filter_subject == subject]
            if not infos or any(c.num_pending or c.num_ack_pending for c in infos):
                return False
        return True

    async def outboxes_empty() -> bool:
        for runtime in services:
            async with runtime.uow() as work:
                row = await (await work.conn.execute(
                    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")).fetchone()
            if row["n"]:
                return False
        return True

    await eventually(consumers_done, timeout_s)
    await eventually(outboxes_empty, timeout_s)


def _popen_service(settings: Any, name: str) -> tuple[subprocess.Popen, Path]:
    Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
    log_path = Path(settings.state_dir) / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT,
                                   env={**os.environ, **settings.to_env()}, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return process, log_path


async def spawn_service(bus: TestBus, settings: Any, name: str, timeout_s: float = 60.0,
                        **changes: Any) -> subprocess.Popen:
    """`python -m services.<name>` in a process of its own, as `brightrun up` starts it, so a
    test can SIGKILL it; returned once it answers its readiness ping. Its log: <state_dir>/."""
    process, log_path = _popen_service(msgspec.structs.replace(settings, **changes), name)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited with {process.returncode}; see {log_path}")
        try:
            if (await bus.nc.request(ping_subject(name), b"", timeout=1)).data == b"pong":
                return process
        except (NoRespondersError, NatsTimeout):
            pass
        await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError(f"{name} did not answer its ping within {timeout_s}s; see {log_path}")


async def eventually(check, timeout_s: float = 15.0, interval_s: float = 0.1) -> Any:
    """Poll an async or sync check until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s; last value: {last!r}")


# --- training files ----------------------------------------------------------------------------


def _pair(conversation_id: str, turn: int, target: str | None) -> dict[str, Any]:
    return {
        "id": f"topic_turn{turn}", "conversation_id": conversation_id, "turn_number": turn,
        "conversation_metadata": {"persona_archetype": "planner"},
        "system_prompt": "You are a warm, specific financial advisor.",
        "conversation_history": [{"turn": 1, "role": "user", "content": "Hello."}],
        "current_user_input": f"I'm worried about my savings (turn {turn}).",
        "emotional_context": {"detected_emotions": {"primary": "worry", "intensity": 0.6}},
        "target_response": target,
        "training_metadata": {"quality_score": 4.5, "human_reviewed": turn == 1,
                              "quality_criteria": {"empathy_score": 5, "clarity_score": 4,
                                                   "appropriateness_score": 5}},
    }


def training_file(conversations: int = 55, scaffolded: bool = True) -> bytes:
    """A small brightrun-lora-v4 aggregated file: eligible at 50+ scaffolded conversations."""
    convs = []
    for i in range(conversations):
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conversation-{i}"))
        scaffolding = {"persona_key": f"persona_{i % 4}", "persona_name": "P",
                       "emotional_arc_key": f"arc_{i % 3}", "emotional_arc": "A",
                       "training_topic_key": f"topic_{i % 5}", "training_topic": "T"}
        convs.append({
            "conversation_metadata": {"conversation_id": cid, "quality_tier": "production",
                                      **({"scaffolding": scaffolding} if scaffolded else {})},
            "training_pairs": [_pair(cid, 1, "Let's take this one step at a time together."),
                               _pair(cid, 2, None)],
        })
    document = {
        "training_file_metadata": {"file_name": "test-file", "format_spec": "brightrun-lora-v4",
                                   "total_conversations": conversations,
                                   "total_training_pairs": 2 * conversations},
        "consultant_profile": {"name": "Test Advisor"},
        "conversations": convs,
    }
    return json.dumps(document).encode()


def write_checkpoint(store: Any, job_id: Any, step: int) -> str:
    """A complete checkpoint of a job, as the trainer leaves it (manifest with checksums)."""
    key = f"jobs/{job_id}/checkpoints/step-{step:08d}"
    files = {"adapter/adapter_model.safetensors": b"weights-%d" % step,
             "trainer_state.json": json.dumps({"step": step}).encode()}
    for name, data in files.items():
        store.put_bytes(f"{key}/{name}", data)
    manifest = {"step": step, "files": {n: {"sha256": hashlib.sha256(d).hexdigest(),
                                            "size_bytes": len(d)} for n, d in files.items()}}
    store.put_bytes(f"{key}/manifest.json", json.dumps(manifest).encode())
    return key


@contextlib.asynccontextmanager
async def running_gateway(settings: Any) -> AsyncIterator[Any]:
    """The gateway app under Litestar's TestClient, entered and left on a thread: its shutdown
    waits on services that run on the test's event loop, and blocking that loop (a sync exit)
    stalled both until their timeouts, 30-60 s a test."""
    from litestar.testing import TestClient

    from services.gateway.app import create_app

    client = TestClient(create_app(settings))
    await asyncio.to_thread(client.__enter__)
    try:
        yield client
    finally:
        await asyncio.to_thread(client.__exit__, None, None, None)
