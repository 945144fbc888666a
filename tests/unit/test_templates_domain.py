"""Template rules (services/jobs/templates.py): what is saved, and what a new job gets."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from proto.api import ServiceError
from proto.jobs import HyperparameterOverrides
from proto.presets import resolve
from proto.templates import ApplyTemplate, SaveTemplate
from proto.training import ModelRef
from services.jobs.templates import apply, name_taken, template_row


def job(status: str = "completed") -> dict:
    lora, hyper = resolve("aggressive", HyperparameterOverrides(learning_rate=5e-5, r=24, epochs=2))
    return {"id": uuid.uuid4(), "name": "Run 7", "status": status, "preset": "aggressive",
            "model": msgspec.to_builtins(ModelRef(name="tiny-random-llama")),
            "lora": msgspec.to_builtins(lora), "hyperparameters": msgspec.to_builtins(hyper),
            "gpu_type": "H100-80GB", "pricing": "on_demand", "gpu_count": 2}


def saved(source: dict) -> dict:
    return template_row(source, SaveTemplate(job_id=source["id"], name=" Prod ", tags=["a", "a"]))


def test_a_template_copies_the_jobs_settings_and_trims_its_name():
    source = job()
    row = saved(source)
    assert row["name"] == "Prod" and row["tags"] == ["a"]
    assert row["hyperparameters"] == source["hyperparameters"] and row["lora"]["r"] == 24
    assert (row["gpu_type"], row["pricing"], row["gpu_count"]) == ("H100-80GB", "on_demand", 2)
    assert row["source_job_id"] == source["id"]


def test_only_a_completed_job_can_be_saved():
    with pytest.raises(ServiceError) as caught:
        saved(job(status="failed"))
    assert caught.value.error.status == 409 and caught.value.error.code == "job_not_completed"


def test_applying_a_template_reproduces_the_jobs_hyperparameters_exactly():
    source = job()
    settings = apply(saved(source), ApplyTemplate(template_id=uuid.uuid4()))
    lora, hyper = resolve(settings.preset, settings.overrides)
    assert msgspec.to_builtins(hyper) == source["hyperparameters"]
    assert msgspec.to_builtins(lora) == source["lora"]
    assert (settings.gpu_type, settings.pricing, settings.gpu_count) == ("H100-80GB", "on_demand", 2)
    assert settings.model.name == "tiny-random-llama"


def test_explicit_fields_override_the_template():
    cmd = ApplyTemplate(template_id=uuid.uuid4(), overrides=HyperparameterOverrides(epochs=5),
                        pricing="spot", gpu_count=1)
    settings = apply(saved(job()), cmd)
    _, hyper = resolve(settings.preset, settings.overrides)
    assert hyper.epochs == 5 and hyper.learning_rate == 5e-5
    assert (settings.pricing, settings.gpu_count, settings.gpu_type) == ("spot", 1, "H100-80GB")


def test_a_taken_name_is_a_conflict_that_says_how_to_fix_it():
    error = name_taken("Prod", {"name": "prod", "id": uuid.uuid4()}).error
    assert error.status == 409 and error.code == "template_name_taken"
    assert "unique name" in error.how_to_fix
