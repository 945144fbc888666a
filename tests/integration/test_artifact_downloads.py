"""Downloads and exports at the gateway, against real NATS, PostgreSQL and a file:// store:
signed links (expired 410, tampered 403), Range requests (206), 409 before artifacts exist,
and the metrics CSV streamed from 100,000 rows of monitoring's table."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import psycopg
import pytest
from support import eventually, running_gateway, training_file

from libs.common.storage import open_store
from proto.base import decode
from proto.jobs import CreateJob, RegisterTrainingFile
from proto.packaging import ArtifactDownloaded
from services.cost.app import build as build_cost
from services.gateway.downloads import LINK_TTL_S, DownloadLinks, Grant
from services.jobs.app import build as build_jobs
from services.monitoring.app import build as build_monitoring
from services.packaging.app import build as build_packaging


@pytest.fixture
async def client(settings):
    async with running_gateway(settings) as test_client:
        yield test_client


@pytest.fixture
def stored(settings) -> tuple[Grant, bytes]:
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one streamed chunk
    key = f"artifacts/{uuid.uuid4()}/v1/adapter-bundle.zip"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    return Grant(job_id=uuid.uuid4(), kind="adapter-bundle", key=key, filename="a.zip"), data


async def test_signed_link_streams_whole_and_ranged_and_is_counted(client, settings, bus, stored):
    grant, data = stored
    token, _ = DownloadLinks(settings.webhook_secret).issue(grant)
    whole = await asyncio.to_thread(client.get, f"/api/v1/downloads/{token}")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(data))
    assert 'filename="a.zip"' in whole.headers["content-disposition"]
    part = await asyncio.to_thread(client.get, f"/api/v1/downloads/{token}",
                                   headers={"Range": "bytes=1048570-2097160"})
    assert part.status_code == 206 and part.content == data[1048570:2097161]
    assert part.headers["content-range"] == f"bytes 1048570-2097160/{len(data)}"
    beyond = await asyncio.to_thread(client.get, f"/api/v1/downloads/{token}",
                                     headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416

    async def counted():
        events = [decode(b, ArtifactDownloaded) for b in await bus.stored(ArtifactDownloaded.subject)]
        return [e for e in events if e.job_id == grant.job_id]

    # The whole download counts; a resumed range does not.
    assert len(await eventually(counted)) == 1


async def test_expired_and_tampered_links_say_how_to_get_a_good_one(client, settings, stored):
    grant, _ = stored
    day_ago = DownloadLinks(settings.webhook_secret, clock=lambda: time.time() - LINK_TTL_S - 5)
    expired, _ = day_ago.issue(grant)
    response = await asyncio.to_thread(client.get, f"/api/v1/downloads/{expired}")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "link_expired"
    assert response.json()["error"]["how_to_fix"]
    good, _ = DownloadLinks(settings.webhook_secret).issue(grant)
    tampered = good.replace(good.split(".")[0], good.split(".")[0][:-1] + "x")
    response = await asyncio.to_thread(client.get, f"/api/v1/downloads/{tampered}")
    assert response.status_code == 403 and response.json()["error"]["how_to_fix"]


async def test_artifacts_before_the_job_completes_are_409_saying_when(
        start_service, client, bus, settings):
    for build in (build_jobs, build_cost, build_packaging):  # cost: CreateJob asks it
        await start_service(build)
    key = f"training-files/{uuid.uuid4()}/f.json"
    open_store(settings.resolved_storage_url).put_bytes(key, training_file())
    file = await bus.ask(RegisterTrainingFile(storage_key=key, filename="f.json", size_bytes=1))
    job = await bus.ask(CreateJob(training_file_id=file["id"]))
    listing = (await asyncio.to_thread(client.get, f"/api/v1/jobs/{job['id']}/artifacts")).json()
    assert [a["status"] for a in listing["artifacts"]] == ["pending", "pending"]
    for path in ("artifacts/deployment-package", "artifacts/adapter-bundle"):
        response = await asyncio.to_thread(client.get, f"/api/v1/jobs/{job['id']}/{path}")
        assert response.status_code == 409, (path, response.text)
        error = response.json()["error"]
        assert "built when training and validation finish" in error["message"]
    link = await asyncio.to_thread(client.post,
                                   f"/api/v1/jobs/{job['id']}/artifacts/adapter-bundle/link")
    assert link.status_code == 409


async def test_metrics_csv_streams_100000_rows(start_service, client, settings):
    await start_service(build_monitoring)
    job_id = uuid.uuid4()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO monitoring.metrics (job_id, step, kind, attempt, epoch, loss, "
            "learning_rate, at) SELECT %s, s, 'train', 1, s / 1000.0, 3.0 - s / 100000.0, 2e-4, "
            "now() + s * interval '1 second' FROM generate_series(1, 100000) s", (job_id,))
        conn.execute(
            "INSERT INTO monitoring.metrics (job_id, step, kind, attempt, epoch, val_loss, "
            "perplexity, at) SELECT %s, s, 'eval', 1, s / 1000.0, 2.5, 12.18, now() + s * "
            "interval '1 second' FROM generate_series(1000, 100000, 1000) s", (job_id,))
        conn.execute(
            "INSERT INTO monitoring.events (event_id, job_id, kind, category, occurred_at, "
            "message, payload) SELECT gen_random_uuid(), %s, 'resources', 'metrics', "
            "now() + s * interval '5 second', 'r', jsonb_build_object('utilisation_pct', 87.5, "
            "'memory_bytes', 1000 + s) FROM generate_series(0, 20000) s", (job_id,))
    started = time.perf_counter()
    response = await asyncio.to_thread(client.get, f"/api/v1/jobs/{job_id}/metrics.csv")
    elapsed = time.perf_counter() - started
    lines = response.text.splitlines()
    print(f"\nmetrics.csv: {len(lines) - 1:,} rows, {len(response.content) / 1e6:.1f} MB "
          f"in {elapsed:.2f} s")
    assert response.status_code == 200 and len(lines) == 100_001
    assert lines[0].startswith("step,epoch,training_loss,validation_loss,learning_rate")
    row_1000 = lines[1000].split(",")
    assert row_1000[0] == "1000" and row_1000[3] == "2.5" and row_1000[5] == "12.18"
    assert row_1000[6] == "87.5" and row_1000[7] == str(1000 + 200)  # sample at 1000 s: #200
    json_response = await asyncio.to_thread(client.get, f"/api/v1/jobs/{job_id}/metrics.json")
    metrics = json_response.json()["metrics"]
    assert len(metrics) == 100_000 and metrics[999]["validation_loss"] == 2.5
