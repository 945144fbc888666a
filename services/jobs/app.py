"""Jobs service wiring: training files, presets, jobs and their lifecycle."""

from __future__ import annotations

import contextlib
from pathlib import Path

from faststream.nats import NatsMessage

from libs.common.bus import call, connected, durable, durable_each, rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from libs.common.storage import open_store
from proto.access import CreateApiKey, ListApiKeys, RevokeApiKey, VerifyApiKey
from proto.api import ServiceError
from proto.base import decode
from proto.cost import CostCapReached
from proto.jobs import (
    CancelJob,
    ChooseGpuOption,
    CreateJob,
    GetJob,
    GetJobHistory,
    GetTrainingFile,
    ListCheckpoints,
    ListJobs,
    ListPresets,
    ListTrainingFiles,
    RegisterTrainingFile,
    ResumeJob,
    RetryJob,
)
from proto.provisioning import InstanceExited, InstanceFailedToStart, InstanceStarted
from proto.templates import (
    ApplyTemplate,
    DeleteTemplate,
    GetTemplate,
    ListTemplates,
    SaveTemplate,
)
from proto.training import TrainingEventReported
from proto.training_sets import CreateTrainingSet, GetTrainingSet, ListTrainingSets
from proto.validation import ValidationRunRequested
from services.jobs import (
    api_keys,
    creation,
    gpu_retry,
    handlers,
    lifecycle,
    lineage,
    templates,
    training_sets,
    validation_rerun,
)
from services.jobs.admission import Platform


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("jobs", settings, Path(__file__).with_name("migrations"))
    broker, uow = runtime.broker, runtime.uow
    store = open_store(settings.resolved_storage_url)
    platform = Platform.from_settings(settings)

    def ask(request):  # the cost service, asked while creating a job (services/jobs/creation.py)
        return call(broker, request, settings.rpc_timeout_s)

    @rpc(broker, RegisterTrainingFile)
    async def register_training_file(cmd: RegisterTrainingFile):
        return await handlers.register_training_file(cmd, uow, store, settings.min_conversations)

    @rpc(broker, ListTrainingFiles)
    async def list_training_files(q: ListTrainingFiles):
        return await handlers.list_training_files(q, uow)

    @rpc(broker, GetTrainingFile)
    async def get_training_file(q: GetTrainingFile):
        return await handlers.get_training_file(q, uow)

    # Issue 17: training sets combining uploaded files (services/jobs/training_sets.py).
    @rpc(broker, CreateTrainingSet)
    async def create_training_set(cmd: CreateTrainingSet):
        return await training_sets.create_training_set(cmd, uow, store,
                                                       settings.min_conversations)

    @rpc(broker, ListTrainingSets)
    async def list_training_sets(q: ListTrainingSets):
        return await training_sets.list_training_sets(q, uow)

    @rpc(broker, GetTrainingSet)
    async def get_training_set(q: GetTrainingSet):
        return await training_sets.get_training_set(q, uow)

    @rpc(broker, ListPresets)
    async def list_presets(_: ListPresets):
        return await handlers.list_presets(uow)

    @rpc(broker, GetJobHistory)
    async def job_history(q: GetJobHistory):
        return await handlers.job_history(q, uow)

    @rpc(broker, CreateJob)
    async def create_job(cmd: CreateJob):
        return await creation.create_job(cmd, uow, platform, ask)

    @rpc(broker, ListJobs)
    async def list_jobs(q: ListJobs):
        return await handlers.list_jobs(q, uow)

    @rpc(broker, GetJob)
    async def get_job(q: GetJob):
        return await handlers.get_job(q, uow)

    @rpc(broker, CancelJob)
    async def cancel_job(cmd: CancelJob):
        return await handlers.cancel_job(cmd, uow)

    @rpc(broker, RetryJob)
    async def retry_job(cmd: RetryJob):
        return await creation.retry_job(cmd, uow, platform, ask)

    @rpc(broker, ResumeJob)
    async def resume_job(cmd: ResumeJob):
        return await creation.resume_job(cmd, uow, store, platform, ask)

    @rpc(broker, ListCheckpoints)
    async def list_checkpoints(q: ListCheckpoints):
        return await lineage.list_checkpoints(q, uow, store)

    @rpc(broker, ChooseGpuOption)
    async def choose_gpu_option(cmd: ChooseGpuOption):
        return await gpu_retry.choose_gpu_option(cmd, uow, settings.gpu_retry_interval_s,
                                                 settings.gpu_retry_limit_s)

    # UJ6.4.2: configuration templates (services/jobs/templates.py).
    @rpc(broker, SaveTemplate)
    async def save_template(cmd: SaveTemplate):
        return await templates.save_template(cmd, uow)

    @rpc(broker, ListTemplates)
    async def list_templates(q: ListTemplates):
        return await templates.list_templates(q, uow)

    @rpc(broker, GetTemplate)
    async def get_template(q: GetTemplate):
        return await templates.get_template(q, uow)

    @rpc(broker, DeleteTemplate)
    async def delete_template(cmd: DeleteTemplate):
        return await templates.delete_template(cmd, uow)

    @rpc(broker, ApplyTemplate)
    async def apply_template(cmd: ApplyTemplate):
        return await templates.apply_template(cmd, uow)

    # Issue 15: API keys for the gateway (services/jobs/api_keys.py).
    @rpc(broker, CreateApiKey)
    async def create_api_key(cmd: CreateApiKey):
        return await api_keys.create_api_key(cmd, uow, settings.api_key_hash_secret)

    @rpc(broker, ListApiKeys)
    async def list_api_keys(q: ListApiKeys):
        return await api_keys.list_api_keys(q, uow)

    @rpc(broker, RevokeApiKey)
    async def revoke_api_key(cmd: RevokeApiKey):
        return await api_keys.revoke_api_key(cmd, uow)

    @rpc(broker, VerifyApiKey)
    async def verify_api_key(q: VerifyApiKey):
        return await api_keys.verify_api_key(q, uow, settings.api_key_hash_secret)

    runtime.batches(TrainingEventReported.subject, "jobs-on-training-event",
                    TrainingEventReported.unwrap,
                    lambda events: lifecycle.on_trainer_events(events, uow))

    durable_each(broker, (InstanceStarted, InstanceExited, InstanceFailedToStart),
                 lambda t: f"jobs-on-instance-{t.subject.split('.')[2].replace('_', '-')}",
                 lambda event: lifecycle.on_instance_event(event, uow))

    @durable(broker, CostCapReached.subject, "jobs-on-cost-cap-reached")
    async def on_cost_cap_reached(msg: NatsMessage) -> None:
        # Issue 5 hard cap: stop through the cancel path (SIGTERM: the trainer checkpoints, so
        # the job can be resumed). A job already over makes a redelivery a no-op.
        cap = decode(msg.body, CostCapReached)
        with contextlib.suppress(ServiceError):
            await handlers.cancel_job(CancelJob(job_id=cap.job_id, reason=f"cost cap: {cap.message}"), uow)

    @durable(broker, ValidationRunRequested.subject, validation_rerun.CONSUMER)
    async def on_validation_run_requested(msg: NatsMessage) -> None:
        # Issue 12: a re-run that needs the model gets a validation-only attempt.
        await validation_rerun.on_validation_run_requested(
            decode(msg.body, ValidationRunRequested), uow)

    @runtime.background(once=True)
    async def watchdog() -> None:
        await lifecycle.watchdog(uow, settings.heartbeat_timeout_s,
                                 bus_up=lambda: connected(runtime.broker))

    @runtime.background(once=True)
    async def gpu_auto_retry() -> None:
        # Checked a few times per interval, so a try is at most a fifth of one late.
        await gpu_retry.auto_retry(uow, min(5.0, settings.gpu_retry_interval_s / 5))

    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
