"""The OpenAI-compatible fine-tuning API at /v1, driven by the official `openai` Python client
against the whole stack: upload, create, follow events to completion, checkpoints, job
pagination, cancel, and OpenAI-shaped errors for an unknown model and an ineligible file."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from openai import OpenAI
from support import training_file

TERMINAL = {"succeeded", "failed", "cancelled"}
# Our knobs beyond OpenAI's (the documented `brightrun` extension): a few steps of the tiny
# model, no validation suites, so the run stays short.
SMALL = {"brightrun": {"overrides": {"max_steps": 6, "max_seq_len": 256,
                                     "checkpoint_every_steps": 3},
                       "tags": ["test"], "validation": {"suites": []}}}


@pytest.fixture(scope="module")
def client(stack):
    # max_retries=0: an error must show up as the error, not as three tries of it.
    with OpenAI(base_url=f"{stack.gateway_url}/v1", api_key="unused", max_retries=0) as c:
        yield c


@pytest.fixture(scope="module")
def uploaded(stack, client):
    data = stack.sample_file.read_bytes()
    return client.files.create(file=("sample.json", data, "application/json"),
                               purpose="fine-tune"), len(data)


def follow(client: OpenAI, job_id: str, timeout_s: float = 240.0) -> tuple[object, list]:
    """Poll the job and its newest events, as OpenAI's docs do, until it ends."""
    seen: dict[str, object] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.fine_tuning.jobs.retrieve(job_id)
        for event in client.fine_tuning.jobs.list_events(job_id, limit=50).data:
            seen.setdefault(event.id, event)
        if job.status in TERMINAL:
            return job, list(seen.values())
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s}s: {job.status}")


def test_upload_list_and_retrieve_a_file(client, uploaded):
    file, size = uploaded
    assert file.id.startswith("file-") and file.object == "file"
    assert (file.bytes, file.filename, file.purpose, file.status) == \
        (size, "sample.json", "fine-tune", "processed")
    assert client.files.retrieve(file.id).model_dump() == file.model_dump()
    assert file.id in [f.id for f in client.files.list()]


def test_train_follow_events_to_completion_and_list_checkpoints(stack, client, uploaded):
    file, _ = uploaded
    job = client.fine_tuning.jobs.create(
        model="tiny-random-llama", training_file=file.id, suffix="openai-e2e", seed=7,
        hyperparameters={"n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 2},
        extra_body=SMALL)
    assert job.id.startswith("ftjob-") and job.status == "queued"
    assert (job.model, job.training_file, job.seed) == ("tiny-random-llama", file.id, 7)
    assert (job.hyperparameters.n_epochs, job.hyperparameters.batch_size,
            job.hyperparameters.learning_rate_multiplier) == (1, 2, 2.0)
    assert job.fine_tuned_model is None

    job, followed = follow(client, job.id)
    assert job.status == "succeeded", job.error
    assert job.fine_tuned_model.startswith("ft:tiny-random-llama:brightrun:openai-e2e:")
    assert job.trained_tokens > 0 and job.finished_at >= job.created_at
    assert job.error is None

    # Every event, paged 5 at a time by the client's auto-pagination: newest first, no repeats.
    # Our log read first: events may still arrive after completion (the instance exiting).
    ours = httpx.get(f"{stack.api}/jobs/{job.id.removeprefix('ftjob-')}/events",
                     params={"per_page": 500}).json()["events"]
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=5))
    assert len({e.id for e in events}) == len(events) >= len(ours)
    assert {"ftevent-" + e["event_id"].replace("-", "") for e in ours} <= {e.id for e in events}
    assert {e.id for e in followed} <= {e.id for e in events}
    assert [e.created_at for e in events] == sorted((e.created_at for e in events), reverse=True)
    steps = [e.data["step"] for e in events if e.type == "metrics" and "train_loss" in e.data]
    assert steps == [6, 5, 4, 3, 2, 1]
    assert any(e.message.startswith("Status: completed") for e in events)

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [6, 3]
    assert all(c.fine_tuning_job_id == job.id and c.metrics.train_loss > 0 for c in checkpoints)
    assert checkpoints[0].fine_tuned_model_checkpoint.endswith(":ckpt-step-6")


def test_list_jobs_pages_and_a_second_job_cancels(client, uploaded):
    file, _ = uploaded
    running = client.fine_tuning.jobs.create(
        model="HuggingFaceTB/SmolLM2-135M-Instruct", training_file=file.id, suffix="to-cancel",
        extra_body={"brightrun": {"overrides": {"max_steps": 5000}, "tags": ["test"],
                                  "validation": {"suites": []}}})
    assert running.model == "embedded:smollm2-135m-instruct"
    first = client.fine_tuning.jobs.list(limit=1)
    assert [j.id for j in first.data] == [running.id] and first.has_more is True
    second = client.fine_tuning.jobs.list(limit=1, after=running.id)
    assert len(second.data) == 1 and second.data[0].id != running.id
    every = [j.id for j in client.fine_tuning.jobs.list(limit=1)]  # auto-paginated
    assert every[0] == running.id and len(every) == len(set(every)) >= 2

    cancelled = client.fine_tuning.jobs.cancel(running.id)
    assert cancelled.status == "cancelled"
    assert client.fine_tuning.jobs.retrieve(running.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError) as again:
        client.fine_tuning.jobs.cancel(running.id)
    assert again.value.code == "job_not_cancellable"


def test_unknown_model_and_ineligible_file_get_openai_errors_with_how_to_fix(stack, client,
                                                                              uploaded):
    file, _ = uploaded
    with pytest.raises(openai.BadRequestError) as unknown:
        client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
    assert (unknown.value.code, unknown.value.param) == ("model_not_available", "model")
    assert "How to fix" in unknown.value.message and "tiny-random-llama" in unknown.value.message

    small = client.files.create(file=("small.json", training_file(conversations=10)),
                                purpose="fine-tune")
    assert small.status_details  # why it cannot train, already at upload
    with pytest.raises(openai.BadRequestError) as ineligible:
        client.fine_tuning.jobs.create(model="tiny-random-llama", training_file=small.id)
    assert (ineligible.value.code, ineligible.value.param) == \
        ("training_file_not_eligible", "training_file")
    assert "How to fix" in ineligible.value.message

    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-" + "0" * 32)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-not-an-id")
    with pytest.raises(openai.BadRequestError) as purpose:
        client.files.create(file=("a.jsonl", b"{}"), purpose="assistants")
    assert purpose.value.param == "purpose"

    assert {"tiny-random-llama", "HuggingFaceTB/SmolLM2-135M-Instruct"} <= \
        {m.id for m in client.models.list()}
    assert client.models.retrieve("HuggingFaceTB/SmolLM2-135M-Instruct").owned_by == "brightrun"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o-mini")

    # The body itself: OpenAI's four keys, not /api/v1's shape — on a path no route serves too.
    unrouted = httpx.get(f"{stack.gateway_url}/v1/assistants")
    assert unrouted.status_code == 404
    assert set(unrouted.json()["error"]) == {"message", "type", "param", "code"}
    raw = httpx.post(f"{stack.gateway_url}/v1/fine_tuning/jobs",
                     json={"model": "nope", "training_file": file.id},
                     headers={"Authorization": "Bearer unused"})
    assert raw.status_code == 400
    assert set(raw.json()["error"]) == {"message", "type", "param", "code"}
    assert raw.json()["error"]["type"] == "invalid_request_error"
