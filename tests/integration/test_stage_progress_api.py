"""Stage progress, Ready to train and the current metrics as they reach the API (UJ2.2.1,
UJ2.3.2, UJ3.1.3): signed trainer webhooks into the gateway, through real NATS to the jobs and
monitoring services on real PostgreSQL, read back with GET /jobs/{id} and GET /jobs/{id}/metrics."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import datetime, timedelta

import pytest
from support import eventually, running_gateway, training_file

from libs.common.signing import derive_job_secret, sign
from libs.common.storage import open_store
from proto.base import encode
from proto.jobs import CreateJob, RegisterTrainingFile
from proto.training import (
    Evaluation,
    ResourceSample,
    StageChanged,
    StageProgress,
    TrainingReady,
)
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring

READY = TrainingReady(conversations=55, training_pairs=55, sequences=55, model="tiny-random-llama",
                      quantization="none", epochs=3, total_steps=42, steps_left=42,
                      step_time_s=1.5, step_time_basis="estimated", expected_training_s=63.0)


@pytest.fixture
async def client(settings, start_service):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    await start_service(build_monitoring)
    async with running_gateway(settings) as test_client:
        yield test_client


@pytest.fixture
async def job_id(bus, settings) -> uuid.UUID:
    data = training_file()
    key = f"training-files/{uuid.uuid4()}/f.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="f.json",
                                              size_bytes=len(data)))
    return uuid.UUID(str((await bus.ask(CreateJob(training_file_id=file["id"])))["id"]))


async def report(client, settings, event) -> None:
    """What the trainer does: sign the body with the job's secret and post it."""
    body = encode(event)
    key = derive_job_secret(settings.webhook_secret, event.job_id)
    response = await asyncio.to_thread(client.post, f"/api/v1/webhooks/trainer/{event.job_id}",
                                       content=body, headers=sign(key, body))
    assert response.status_code == 202, response.text


def getter(client, path: str, until):
    async def check():
        answer = (await asyncio.to_thread(client.get, f"/api/v1{path}")).json()
        return answer if until(answer) else None
    return check


async def test_preprocessing_progress_and_ready_to_train_reach_the_job(client, settings, job_id):
    await report(client, settings, StageChanged(
        job_id=job_id, seq=1, stage="preprocessing", detail="tokenizing 1,200 of 2,400 examples",
        progress=StageProgress(percent=50.0, done=1200, total=2400, remaining_s=30.0,
                               remaining_basis="measured")))
    job = await eventually(getter(client, f"/jobs/{job_id}",
                                  lambda j: j["progress"]["stage"] is not None))
    stage = job["progress"]["stage"]
    assert (stage["stage"], stage["detail"]) == ("preprocessing",
                                                 "tokenizing 1,200 of 2,400 examples")
    assert stage["progress"] == {"percent": 50.0, "done": 1200, "total": 2400,
                                 "unit": "examples", "remaining_s": 30.0,
                                 "remaining_basis": "measured", "cache": None}
    assert job["progress"]["ready"] is None and job["progress"]["expected_completion_at"] is None

    ready = StageChanged(job_id=job_id, seq=2, stage="training", ready=READY)
    await report(client, settings, ready)
    job = await eventually(getter(client, f"/jobs/{job_id}",
                                  lambda j: j["progress"]["ready"] is not None))
    progress = job["progress"]
    assert progress["ready"]["steps_left"] == 42 and progress["ready"]["step_time_s"] == 1.5
    assert progress["expected_completion_basis"] == "estimated"
    assert datetime.fromisoformat(progress["expected_completion_at"]) == \
        ready.occurred_at + timedelta(seconds=63)


async def test_validation_loss_perplexity_and_gpu_figures_reach_the_metrics_api(
        client, settings, job_id):
    await report(client, settings, Evaluation(job_id=job_id, seq=1, step=4, epoch=1.0,
                                              val_loss=1.5, perplexity=math.exp(1.5)))
    await report(client, settings, ResourceSample(job_id=job_id, seq=2, device="cpu",
                                                  memory_bytes=2**30, utilisation_pct=40.0))
    metrics = await eventually(getter(client, f"/jobs/{job_id}/metrics",
                                      lambda m: m["eval"] and m["gpu"]["device"]))
    assert [(r["step"], r["val_loss"], r["perplexity"]) for r in metrics["eval"]] == [
        (4, 1.5, pytest.approx(math.exp(1.5)))]
    # On a CPU the API says there is no GPU figure, and why, rather than pass CPU figures off.
    assert metrics["gpu"]["utilisation_pct"] is None and metrics["gpu"]["memory_bytes"] is None
    assert "CPU" in metrics["gpu"]["unavailable_reason"]

    await report(client, settings, ResourceSample(
        job_id=job_id, seq=3, device="cuda", memory_bytes=76_800_000_000,
        memory_total_bytes=80_000_000_000, utilisation_pct=87.0))
    metrics = await eventually(getter(client, f"/jobs/{job_id}/metrics",
                                      lambda m: m["gpu"]["device"] == "cuda"))
    gpu = metrics["gpu"]
    assert (gpu["utilisation_pct"], gpu["memory_bytes"], gpu["memory_total_bytes"]) == (
        87.0, 76_800_000_000, 80_000_000_000)
    assert gpu["unavailable_reason"] is None
