"""Templates (UJ6.4.2) through the gateway, against the real jobs and cost services."""

from __future__ import annotations

import asyncio

import pytest
from finished_jobs import finish_job
from litestar.testing import TestClient
from support import training_file

from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs


@pytest.fixture
async def services(start_service):
    await start_service(build_jobs)
    await start_service(build_cost)


async def call(client, method: str, path: str, **kwargs):
    return await asyncio.to_thread(getattr(client, method), f"/api/v1{path}", **kwargs)


async def completed_job(client, bus, **fields) -> tuple[str, dict]:
    upload = await call(client, "post", "/training-files",
                        files={"file": ("f.json", training_file(), "application/json")})
    file_id = upload.json()["id"]
    created = await call(client, "post", "/jobs", json={"training_file_id": file_id, **fields})
    assert created.status_code == 201, created.text
    return file_id, await finish_job(bus, created.json()["id"])


async def test_a_template_round_trips_into_a_new_job(services, bus, settings):
    with TestClient(create_app(settings)) as client:
        file_id, source = await completed_job(
            client, bus, preset="conservative",
            overrides={"learning_rate": 7e-5, "epochs": 1, "r": 12, "max_steps": 3},
            model={"name": "tiny-random-llama", "parameter_count": 1_000_000})
        saved = await call(client, "post", "/templates", json={
            "job_id": source["id"], "name": "Small and careful", "description": "first runs",
            "tags": ["finance"], "visibility": "team"})
        assert saved.status_code == 201, saved.text
        template = saved.json()
        assert template["hyperparameters"] == source["hyperparameters"]
        listed = (await call(client, "get", "/templates")).json()
        assert [t["name"] for t in listed] == ["Small and careful"]

        new = await call(client, "post", "/jobs", json={"training_file_id": file_id,
                                                         "template_id": template["id"]})
        assert new.status_code == 201, new.text
        job = new.json()
        assert job["hyperparameters"] == source["hyperparameters"]
        assert job["lora"] == source["lora"] and job["model"]["name"] == "tiny-random-llama"
        assert job["preset"] == "conservative"

        # An explicit field wins over the template; the rest still comes from it.
        override = await call(client, "post", "/jobs", json={
            "training_file_id": file_id, "template_id": template["id"], "overrides": {"epochs": 2}})
        hyper = override.json()["hyperparameters"]
        assert hyper["epochs"] == 2 and hyper["learning_rate"] == 7e-5
        assert override.json()["lora"]["r"] == 12


async def test_a_duplicate_name_is_409_and_a_running_job_cannot_be_saved(services, bus, settings):
    with TestClient(create_app(settings)) as client:
        file_id, source = await completed_job(client, bus)
        body = {"job_id": source["id"], "name": "Production Financial Advisory"}
        assert (await call(client, "post", "/templates", json=body)).status_code == 201
        again = await call(client, "post", "/templates",
                           json={**body, "name": "production financial advisory "})
        assert again.status_code == 409
        error = again.json()["error"]
        assert error["code"] == "template_name_taken" and "unique name" in error["how_to_fix"]

        queued = (await call(client, "post", "/jobs", json={"training_file_id": file_id})).json()
        early = await call(client, "post", "/templates", json={"job_id": queued["id"], "name": "x"})
        assert early.status_code == 409 and early.json()["error"]["code"] == "job_not_completed"

        [template] = (await call(client, "get", "/templates")).json()
        assert (await call(client, "delete", f"/templates/{template['id']}")).status_code == 200
        gone = await call(client, "get", f"/templates/{template['id']}")
        assert gone.status_code == 404 and gone.json()["error"]["how_to_fix"]
