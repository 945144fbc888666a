"""A service whose background loop keeps failing answers its readiness ping with why."""

from __future__ import annotations

import asyncio

from nats.errors import NoRespondersError

from libs.common.runtime import ServiceRuntime


async def ping(bus) -> bytes:
    """The probe's answer; a service just started may not have its responder in place yet (as
    `brightrun up` does, ask again for a few seconds)."""
    for _ in range(50):
        try:
            return (await bus.nc.request("rpc.probe.ping", b"", timeout=5)).data
        except NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError("the probe never answered its ping")


async def test_a_loop_that_keeps_failing_turns_the_readiness_ping_red(settings, start_service, bus):
    failures = []

    def build(s):
        runtime = ServiceRuntime("probe", s, uses_database=False)
        runtime.supervisor.base_backoff_s = runtime.supervisor.max_backoff_s = 0.01

        @runtime.background
        async def exit_watcher() -> None:
            failures.append(1)
            raise ConnectionError("could not reach the database")

        return runtime

    runtime = await start_service(build)
    for _ in range(500):  # up to 5 s
        if len(failures) >= runtime.supervisor.max_failures:
            break
        await asyncio.sleep(0.01)
    reply = await ping(bus)
    assert reply.startswith(b"not ready: loop exit_watcher failed")
    assert b"could not reach the database" in reply


async def test_a_healthy_service_answers_pong(settings, start_service, bus):
    def build(s):
        runtime = ServiceRuntime("probe", s, uses_database=False)

        @runtime.background
        async def ticker() -> None:
            await asyncio.Event().wait()

        return runtime

    await start_service(build)
    assert await ping(bus) == b"pong"
