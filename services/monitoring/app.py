"""Monitoring service wiring: the event log and metrics of every job."""

from __future__ import annotations

from pathlib import Path

from faststream.nats import NatsMessage

from libs.common.bus import durable, rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from proto.base import decode
from proto.jobs import GpuChoiceMade, GpuUnavailable, JobStatusChanged, StageStuck
from proto.monitoring import GetEventLog, GetMetrics, GetMetricsPage, GetProgress
from proto.provisioning import (
    InstanceExited,
    InstanceFailedToStart,
    InstanceInterrupted,
    InstanceStarted,
)
from proto.training import TrainingEventReported
from services.monitoring import handlers


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("monitoring", settings, Path(__file__).with_name("migrations"))
    broker, uow = runtime.broker, runtime.uow

    runtime.batches(TrainingEventReported.subject, "monitoring-on-training-event",
                    TrainingEventReported.unwrap, lambda events: handlers.record(events, uow))

    def recorder(event_type: type, consumer: str) -> None:
        async def handle(msg: NatsMessage) -> None:
            await handlers.record([decode(msg.body, event_type)], uow)

        handle.__name__ = consumer.replace("-", "_")
        durable(broker, event_type.subject, consumer)(handle)

    recorder(JobStatusChanged, "monitoring-on-job-status-changed")
    recorder(InstanceStarted, "monitoring-on-instance-started")
    recorder(InstanceExited, "monitoring-on-instance-exited")
    recorder(InstanceFailedToStart, "monitoring-on-instance-failed-to-start")
    recorder(InstanceInterrupted, "monitoring-on-instance-interrupted")
    recorder(StageStuck, "monitoring-on-stage-stuck")
    recorder(GpuUnavailable, "monitoring-on-gpu-unavailable")
    recorder(GpuChoiceMade, "monitoring-on-gpu-choice-made")

    @rpc(broker, GetEventLog)
    async def event_log(q: GetEventLog):
        return await handlers.event_log(q, uow)

    @rpc(broker, GetMetrics)
    async def metrics(q: GetMetrics):
        return await handlers.metrics(q, uow)

    @rpc(broker, GetMetricsPage)
    async def metrics_page(q: GetMetricsPage):
        return await handlers.metrics_page(q, uow)

    @rpc(broker, GetProgress)
    async def progress(q: GetProgress):
        return await handlers.progress(q, uow)

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
