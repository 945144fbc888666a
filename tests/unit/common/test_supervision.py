"""Supervised loops: a failing loop is restarted, and one that keeps failing shows in readiness."""

from __future__ import annotations

import asyncio

from libs.common.supervision import Supervisor


async def until(condition, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.001)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


def fast_supervisor(**kwargs) -> Supervisor:
    return Supervisor("test", base_backoff_s=0.001, max_backoff_s=0.001, **kwargs)


async def test_a_loop_that_raises_is_restarted_and_goes_on_working() -> None:
    supervisor, runs, worked = fast_supervisor(), [], asyncio.Event()

    async def loop() -> None:
        runs.append(1)
        if len(runs) <= 2:
            raise ConnectionError("database went away")
        worked.set()
        await asyncio.Event().wait()  # a healthy loop runs until the service stops

    task = supervisor.start("watch-exits", loop)
    await asyncio.wait_for(worked.wait(), 5)
    task.cancel()
    assert len(runs) == 3
    assert supervisor.loops["watch-exits"].restarts == 2
    assert "database went away" in supervisor.loops["watch-exits"].last_error
    assert supervisor.problems() == []  # two failures are not yet "keeps failing"


async def test_a_loop_that_keeps_failing_makes_the_service_not_ready() -> None:
    supervisor = fast_supervisor(max_failures=3)

    async def loop() -> None:
        raise ValueError("ack raised")

    task = supervisor.start("consumer", loop)
    await until(lambda: supervisor.loops["consumer"].failures >= 3)
    task.cancel()
    [problem] = supervisor.problems()
    assert "consumer" in problem and "ack raised" in problem


async def test_a_loop_that_returns_counts_as_stopped_and_is_restarted() -> None:
    supervisor, runs = fast_supervisor(max_failures=2), []

    async def loop() -> None:
        runs.append(1)

    task = supervisor.start("ticker", loop)
    await until(lambda: len(runs) >= 3)
    task.cancel()
    assert "returned" in supervisor.loops["ticker"].last_error
    assert supervisor.problems()


async def test_a_run_that_outlived_the_healthy_span_resets_the_count() -> None:
    now = [0.0]
    supervisor = Supervisor("test", base_backoff_s=0.001, max_backoff_s=0.001, max_failures=2,
                            healthy_after_s=60.0, clock=lambda: now[0])
    calls = []

    async def loop() -> None:
        calls.append(1)
        if len(calls) == 2:
            now[0] += 120.0  # this run lasted two minutes before it failed
        if len(calls) >= 3:
            await asyncio.Event().wait()
        raise OSError("blip")

    task = supervisor.start("poller", loop)
    await until(lambda: len(calls) >= 3)
    task.cancel()
    assert supervisor.loops["poller"].failures == 1  # the long run's failure started a new count


def test_backoff_doubles_up_to_its_cap() -> None:
    supervisor = Supervisor("test", base_backoff_s=1.0, max_backoff_s=30.0)
    assert [supervisor.backoff_s(n) for n in (1, 2, 3, 5, 6, 9)] == [1, 2, 4, 16, 30, 30]


async def test_a_loop_whose_cancellation_was_swallowed_stops_at_its_next_check() -> None:
    from libs.common.supervision import stop_if_cancelled

    rounds, waiting = [], asyncio.Event()

    async def loop() -> None:
        while True:
            stop_if_cancelled()
            rounds.append(1)
            try:  # what Python 3.11's wait_for does when a result lands with the cancellation
                waiting.set()
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass

    task = asyncio.create_task(loop())
    await waiting.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done and task.cancelled()
    assert len(rounds) == 1  # it did not go round again


async def test_a_loop_never_cancelled_is_not_stopped_by_the_check() -> None:
    from libs.common.supervision import stop_if_cancelled

    async def twice() -> int:
        stop_if_cancelled()
        await asyncio.sleep(0)
        stop_if_cancelled()
        return 2

    assert await asyncio.create_task(twice()) == 2
