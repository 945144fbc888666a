"""What an instance needs to run a job: the trainer's spec. No I/O."""

from __future__ import annotations

from libs.common.settings import Settings
from libs.common.signing import derive_job_secret
from proto.jobs import JobQueued
from proto.training import StorageSettings, TrainingJobSpec


def output_prefix(job_id: object) -> str:
    return f"jobs/{job_id}"


def build_spec(event: JobQueued, settings: Settings) -> TrainingJobSpec:
    return TrainingJobSpec(
        job_id=event.job_id,
        attempt=event.attempt,
        model=event.model,
        lora=event.lora,
        hyperparameters=event.hyperparameters,
        training_file_key=event.training_file_key,
        output_prefix=output_prefix(event.job_id),
        storage=StorageSettings(url=settings.resolved_storage_url),
        webhook_url=f"{settings.gateway_url.rstrip('/')}/api/v1/webhooks/trainer/{event.job_id}",
        webhook_secret=derive_job_secret(settings.webhook_secret, event.job_id),
        resume_from=event.resume_from,
        validation=event.validation,
    )
