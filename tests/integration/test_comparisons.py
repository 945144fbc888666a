"""Run comparison (UJ6.4.1) through the gateway, against the real jobs, monitoring, cost and
packaging services: real metrics from trainer events, a real PDF."""

from __future__ import annotations

import asyncio
import io

import pytest
from finished_jobs import finish_job
from litestar.testing import TestClient
from pypdf import PdfReader
from support import training_file

from services.cost.app import build as build_cost
from services.gateway.app import create_app
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.packaging.app import build as build_packaging


@pytest.fixture
async def services(start_service):
    for build in (build_jobs, build_monitoring, build_cost, build_packaging):
        await start_service(build)


async def call(client, method: str, path: str, **kwargs):
    return await asyncio.to_thread(getattr(client, method), f"/api/v1{path}", **kwargs)


async def new_job(client, file_id: str, **fields) -> dict:
    created = await call(client, "post", "/jobs", json={"training_file_id": file_id, **fields})
    assert created.status_code == 201, created.text
    return created.json()


async def upload(client) -> str:
    response = await call(client, "post", "/training-files",
                          files={"file": ("f.json", training_file(), "application/json")})
    return response.json()["id"]


async def test_two_finished_jobs_compare_with_curves_table_differences_and_a_winner(
        services, bus, settings):
    with TestClient(create_app(settings)) as client:
        file_id = await upload(client)
        a = await new_job(client, file_id, name="Run A", preset="conservative")
        b = await new_job(client, file_id, name="Run B", overrides={"r": 32})
        await finish_job(bus, a["id"], train_losses=[2.0, 1.8, 1.7], val_losses=[2.0, 1.9])
        await finish_job(bus, b["id"], train_losses=[2.0, 1.4, 1.1], val_losses=[2.0, 1.5])

        response = await call(client, "post", "/comparisons", json={"job_ids": [a["id"], b["id"]]})
        assert response.status_code == 200, response.text
        result = response.json()
        assert [s["train"] for s in result["series"]] == [[[1, 2.0], [2, 1.8], [3, 1.7]],
                                                         [[1, 2.0], [2, 1.4], [3, 1.1]]]
        rows = {r["name"]: r for r in result["table"]}
        assert rows["Run B"]["final_val_loss"] == 1.5 and rows["Run A"]["final_train_loss"] == 1.7
        # No validation service ran: quality falls back to validation loss, and says so.
        assert result["quality_source"] == "validation_loss"
        assert any("no validation perplexity" in n for n in result["notes"])
        assert rows["Run B"]["quality_pct"] == 25.0 and rows["Run A"]["quality_pct"] == 5.0
        assert result["winner"]["name"] == "Run B" and rows["Run B"]["is_winner"]
        assert "quality per dollar" in result["rule"]
        assert result["comparable"] is True
        fields = {d["field"] for d in result["differences"]}
        assert {"preset", "lora.r", "hyperparameters.learning_rate"} <= fields

        pdf = await asyncio.to_thread(client.get, result["pdf_url"])
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert "Run B: best quality/cost ratio" in text and "Run A" in text


async def test_bad_selections_are_422_and_other_files_warn(services, bus, settings):
    with TestClient(create_app(settings)) as client:
        file_id, other_file = await upload(client), await upload(client)
        done = await new_job(client, file_id, name="Done")
        await finish_job(bus, done["id"], train_losses=[2.0, 1.5])

        one = await call(client, "post", "/comparisons", json={"job_ids": [done["id"]]})
        assert one.status_code == 422 and one.json()["error"]["code"] == "comparison_size"
        assert "between 2 and 4" in one.json()["error"]["how_to_fix"]
        five = [done["id"]] + [(await new_job(client, file_id))["id"] for _ in range(4)]
        too_many = await call(client, "post", "/comparisons", json={"job_ids": five})
        assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "comparison_size"

        queued = await new_job(client, file_id, name="Queued")
        empty = await call(client, "post", "/comparisons", json={"job_ids": [done["id"], queued["id"]]})
        assert empty.status_code == 422
        assert empty.json()["error"]["code"] == "job_has_no_metrics"
        assert "Queued" in empty.json()["error"]["message"] and empty.json()["error"]["how_to_fix"]

        elsewhere = await new_job(client, other_file, name="Elsewhere")
        await finish_job(bus, elsewhere["id"], train_losses=[3.0, 2.0])
        mixed = (await call(client, "post", "/comparisons",
                            json={"job_ids": [done["id"], elsewhere["id"]]})).json()
        assert mixed["comparable"] is False
        assert mixed["warnings"][0].startswith("Not comparable: the jobs trained on different")
