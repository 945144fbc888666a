"""Provisioning service wiring: instances for queued jobs, on the local provider."""

from __future__ import annotations

from pathlib import Path

from faststream.nats import NatsMessage

from libs.common.bus import durable
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from proto.base import decode
from proto.jobs import JobCancelled, JobQueued
from services.provisioning import handlers
from services.provisioning.fault_injection import FaultInjector
from services.provisioning.local_provider import LocalProvider
from services.provisioning.wiring import wire_runpod


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("provisioning", settings, Path(__file__).with_name("migrations"))
    broker, uow = runtime.broker, runtime.uow
    provider = LocalProvider(settings.state_path, settings.python)
    injector = FaultInjector(provider, uow)  # JobQueued.fault_injection: local provider only
    # Jobs refuses fault_injection unless an operator allowed it; without that, watching every
    # trainer event (~0.8 ms each, in every replica) would find nothing to inject.
    if settings.allow_fault_injection:
        injector.subscribe(broker)
    runpod = wire_runpod(runtime, settings)  # None unless BRIGHTRUN_PROVIDER=runpod

    @durable(broker, JobQueued.subject, "provisioning-on-job-queued")
    async def on_job_queued(msg: NatsMessage) -> None:
        event = decode(msg.body, JobQueued)
        if runpod is not None and event.provider == "runpod":
            return await runpod.on_job_queued(event)
        injector.plan(event)
        await handlers.on_job_queued(event, uow, provider, settings)

    @durable(broker, JobCancelled.subject, "provisioning-on-job-cancelled")
    async def on_job_cancelled(msg: NatsMessage) -> None:
        await handlers.on_job_cancelled(decode(msg.body, JobCancelled), uow, provider)

    # Leased. Any replica can watch any local trainer: it polls the pid and, once it is no
    # longer the parent, reads the exit code the wrapper shell wrote beside the spec (so the
    # replicas of a local provider share one machine and one state path); mark_exited's
    # conditional UPDATE reports an exit once even if two watchers raced.
    @runtime.background(once=True)
    async def watch_exits() -> None:
        await handlers.watch_exits(uow, provider)

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
