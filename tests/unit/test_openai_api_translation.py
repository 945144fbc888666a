"""The /v1 translation, without a stack: ids, status names, hyperparameters both ways, models,
and our errors in OpenAI's shape with how_to_fix in the message."""

from __future__ import annotations

import typing
import uuid

import msgspec
import pytest

from proto.api import ServiceError
from proto.jobs import JobStatus
from proto.presets import PRESETS
from services.gateway.openai_api import ids, shapes
from services.gateway.openai_api.errors import OpenAIError, from_service_error
from services.gateway.openai_api.requests import CreateFineTuningJob, create_job_body

FILE_ID = uuid.uuid4()
BALANCED_LR = PRESETS["balanced"].hyperparameters.learning_rate


def body(**fields) -> CreateFineTuningJob:
    return msgspec.convert({"model": "tiny-random-llama",
                            "training_file": ids.to_openai(ids.FILE, FILE_ID), **fields},
                           CreateFineTuningJob)


def test_ids_round_trip_and_a_bare_uuid_is_accepted():
    value = uuid.uuid4()
    assert ids.to_openai(ids.JOB, value) == f"ftjob-{value.hex}"
    assert ids.from_openai(ids.JOB, ids.to_openai(ids.JOB, value)) == value
    assert ids.from_openai(ids.FILE, str(value)) == value
    with pytest.raises(OpenAIError) as bad:
        ids.from_openai(ids.FILE, "file-abc", "file_id")
    assert (bad.value.status, bad.value.param) == (404, "file_id")


def test_every_status_of_ours_has_an_openai_name():
    ours = set(typing.get_args(JobStatus))
    assert set(shapes.STATUSES) == ours
    assert set(shapes.STATUSES.values()) <= {"validating_files", "queued", "running",
                                             "succeeded", "failed", "cancelled"}
    assert shapes.STATUSES["completed"] == "succeeded"


def test_auto_keeps_the_balanced_preset():
    job = create_job_body(body())
    assert job.preset == "balanced"
    assert msgspec.structs.asdict(job.overrides) == {f: None for f in job.overrides.__struct_fields__}
    assert job.model.name == "tiny-random-llama" and job.name is None


def test_openai_hyperparameters_become_overrides():
    job = create_job_body(body(hyperparameters={"n_epochs": 2, "batch_size": 8,
                                                "learning_rate_multiplier": 0.5},
                               seed=9, suffix="my-run"))
    o = job.overrides
    assert (o.epochs, o.micro_batch_size, o.grad_accumulation, o.seed) == (2, 8, 1, 9)
    assert o.learning_rate == pytest.approx(BALANCED_LR * 0.5)
    assert job.name == "my-run"


def test_the_method_shape_and_the_brightrun_extension():
    job = create_job_body(body(
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4}}},
        brightrun={"overrides": {"max_steps": 6, "epochs": 1}, "validation": {"suites": []},
                   "tags": ["test"]}))
    assert job.overrides.epochs == 1  # the extension's own knob wins
    assert job.overrides.max_steps == 6 and job.validation.suites == [] and job.tags == ["test"]


def test_hub_id_trains_the_embedded_model_and_an_unknown_model_says_which_exist():
    assert create_job_body(body(model="HuggingFaceTB/SmolLM2-135M-Instruct")).model.name == \
        "embedded:smollm2-135m-instruct"
    with pytest.raises(OpenAIError) as unknown:
        create_job_body(body(model="gpt-4o-mini"))
    e = unknown.value
    assert (e.status, e.param, e.code, e.type) == (400, "model", "model_not_available",
                                                   "invalid_request_error")
    assert "How to fix" in e.message and "tiny-random-llama" in e.message


@pytest.mark.parametrize("fields, param", [
    ({"method": {"type": "dpo"}}, "method.type"),
    ({"validation_file": ids.to_openai(ids.FILE, uuid.uuid4())}, "validation_file"),
])
def test_what_we_cannot_do_is_a_bad_request_naming_the_field(fields, param):
    with pytest.raises(OpenAIError) as refused:
        create_job_body(body(**fields))
    assert (refused.value.status, refused.value.param) == (400, param)


def test_a_service_error_keeps_its_code_and_carries_how_to_fix():
    error = from_service_error(ServiceError("training_file_not_eligible", "Only 10 conversations",
                                            "Add at least 40 more.", {}, 422))
    assert (error.status, error.code, error.param) == (400, "training_file_not_eligible",
                                                       "training_file")
    assert error.message == "Only 10 conversations. How to fix: Add at least 40 more."
    assert from_service_error(ServiceError.not_found("job", uuid.uuid4())).status == 404
    assert from_service_error(ServiceError("job_not_cancellable", "done", "", {}, 409)).status == 400


def _job(status: str, **changes) -> dict:
    return {"id": str(uuid.uuid4()), "name": "Support bot v2", "preset": "balanced",
            "status": status, "model": {"name": "tiny-random-llama"},
            "hyperparameters": {"epochs": 3, "micro_batch_size": 4, "grad_accumulation": 4,
                                "learning_rate": BALANCED_LR * 2, "seed": 42},
            "training_file_id": str(FILE_ID), "created_at": "2026-01-02T03:04:05+00:00",
            "finished_at": None, "error": None, **changes}


def test_a_job_in_openai_shape():
    running = shapes.job_object(_job("training"), estimated_finish=123)
    assert running["status"] == "running" and running["fine_tuned_model"] is None
    assert running["hyperparameters"] == {"n_epochs": 3, "batch_size": 16,
                                          "learning_rate_multiplier": 2.0}
    assert running["training_file"] == ids.to_openai(ids.FILE, FILE_ID)
    assert running["created_at"] == 1767323045 and running["estimated_finish"] == 123
    done = shapes.job_object(_job("completed", finished_at="2026-01-02T03:05:05+00:00"), 2048)
    assert done["fine_tuned_model"].startswith("ft:tiny-random-llama:brightrun:support-bot-v2:")
    assert (done["status"], done["trained_tokens"], done["finished_at"]) == \
        ("succeeded", 2048, 1767323105)
    failed = shapes.job_object(_job("failed", error={"failure_class": "out_of_memory",
                                                     "message": "Out of memory at step 3.",
                                                     "suggested_fix": "Halve batch_size."}))
    assert failed["error"] == {"code": "out_of_memory", "param": None,
                               "message": "Out of memory at step 3. How to fix: Halve batch_size."}
