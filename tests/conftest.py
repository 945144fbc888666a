"""Real servers for the tests: PostgreSQL once per session, a fresh NATS and database per test."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest

from libs.common.embedded.nats import EmbeddedNats
from libs.common.embedded.postgres import EmbeddedPostgres
from libs.common.settings import Settings

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: EmbeddedPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, nats_server: EmbeddedNats, database_url: str) -> Settings:
    return Settings(state_dir=str(tmp_path / "state"), nats_url=nats_server.url,
                    database_url=database_url, webhook_secret="test-master-secret",
                    gateway_url="http://127.0.0.1:9", rpc_timeout_s=10.0,
                    # The tests' Slack is a receiver on loopback: an operator's allowlist entry.
                    slack_webhook_hosts="hooks.slack.com,http://127.0.0.1",
                    # GPU-typed jobs on the local provider, at the GPU's price: test-only.
                    simulate_gpus_locally=True)


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator:
    from support import TestBus

    test_bus = TestBus(settings.nats_url)
    await test_bus.start()
    yield test_bus
    await test_bus.stop()


@pytest.fixture
async def start_service(settings: Settings) -> AsyncIterator:
    """Start a service's runtime in this process (its `build(settings)`), stopped at the end."""
    started = []

    async def start(build, **changes):
        runtime = build(msgspec.structs.replace(settings, **changes))
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


@pytest.fixture
async def service_process(settings: Settings, bus) -> AsyncIterator:
    """`await service_process(name, **settings_changes)`: a service in a process of its own,
    for tests that SIGKILL it (`.kill()`); any still running at the end is killed."""
    from support import spawn_service

    spawned = []

    async def spawn(name: str, **changes):
        process = await spawn_service(bus, settings, name, **changes)
        spawned.append(process)
        return process

    yield spawn
    for process in spawned:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def fake() -> Iterator:
    """The FAKE RunPod API (tests/fakes/runpod_api.py) on a free loopback port."""
    from fakes.runpod_api import FakeRunPod

    server = FakeRunPod().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port, collecting what it receives."""
    from notification_receivers import SmtpReceiver

    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def slack():
    """A real HTTP receiver on loopback standing in for a Slack incoming webhook."""
    from notification_receivers import SlackReceiver

    receiver = SlackReceiver().start()
    yield receiver
    receiver.stop()
