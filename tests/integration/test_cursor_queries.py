"""The queries the OpenAI-compatible API pages with, against real NATS and PostgreSQL: jobs
after a cursor, the event log newest first after a cursor and by event type, and the checkpoints
a job holds in object storage."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from support import eventually, training_file

from libs.common.storage import open_store
from proto.api import ServiceError
from proto.base import utcnow
from proto.jobs import CreateJob, ListCheckpoints, ListJobs, RegisterTrainingFile
from proto.monitoring import GetEventLog
from proto.training import CheckpointSaved, Progress, TrainingEventReported
from services.cost.app import build as build_cost
from services.jobs.app import build as build_jobs
from services.jobs.checkpoints import MANIFEST, checkpoint_key
from services.monitoring.app import build as build_monitoring


async def _file(bus, settings) -> str:
    data = training_file()
    key = f"training-files/{uuid.uuid4()}/f.json"
    open_store(settings.resolved_storage_url).put_bytes(key, data)
    return (await bus.ask(RegisterTrainingFile(storage_key=key, filename="f.json",
                                               size_bytes=len(data))))["id"]


async def test_jobs_page_newest_first_after_a_cursor(start_service, bus, settings):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    file_id = await _file(bus, settings)
    made = [(await bus.ask(CreateJob(training_file_id=file_id, name=f"job {i}")))["id"]
            for i in range(3)]
    assert [j["id"] for j in await bus.ask(ListJobs(limit=2))] == made[::-1][:2]
    assert [j["id"] for j in await bus.ask(ListJobs(limit=2, after_job_id=made[1]))] == [made[0]]
    assert await bus.ask(ListJobs(after_job_id=made[0])) == []


async def test_checkpoints_are_the_complete_ones_in_storage(start_service, bus, settings):
    await start_service(build_jobs)
    await start_service(build_cost)  # CreateJob asks it for the estimate and the budget
    job = await bus.ask(CreateJob(training_file_id=await _file(bus, settings)))
    store = open_store(settings.resolved_storage_url)
    for step in (4, 2):
        store.put_bytes(f"{checkpoint_key(job['id'], step)}/{MANIFEST}", b'{"files": {}}')
    store.put_bytes(f"{checkpoint_key(job['id'], 6)}/adapter.bin", b"half written")  # no manifest
    listed = await bus.ask(ListCheckpoints(job_id=job["id"]))
    assert listed == [{"step": 2, "key": checkpoint_key(job["id"], 2)},
                      {"step": 4, "key": checkpoint_key(job["id"], 4)}]
    with pytest.raises(ServiceError) as missing:
        await bus.ask(ListCheckpoints(job_id=uuid.uuid4()))
    assert missing.value.error.status == 404


async def test_event_log_newest_first_after_a_cursor_and_by_type(start_service, bus):
    await start_service(build_monitoring)
    job_id, start = uuid.uuid4(), utcnow()
    events = [Progress(job_id=job_id, seq=i, step=i, total_steps=4, epoch=0.1, loss=1.0,
                       learning_rate=1e-4, occurred_at=start + timedelta(seconds=i))
              for i in range(1, 5)]
    events.insert(2, CheckpointSaved(job_id=job_id, seq=20, step=2, key="k", size_bytes=1,
                                     occurred_at=start + timedelta(seconds=2, milliseconds=5)))
    for event in events:
        await bus.publish(TrainingEventReported(event=event), str(event.event_id))

    async def log(**q):
        return (await bus.ask(GetEventLog(job_id=job_id, **q)))["events"]

    await eventually(lambda: _count(log(limit=10), 5))
    newest = await log(newest_first=True, limit=2)
    assert [e["kind"] for e in newest] == ["progress", "progress"]
    assert [e["payload"]["step"] for e in newest] == [4, 3]
    following = await log(newest_first=True, limit=2, after_event_id=newest[-1]["event_id"])
    assert [(e["kind"], e["payload"]["step"]) for e in following] == \
        [("checkpoint", 2), ("progress", 2)]
    oldest = await log(limit=1)
    assert (await log(limit=1, after_event_id=oldest[0]["event_id"]))[0]["payload"]["step"] == 2
    assert [e["payload"]["step"] for e in await log(event_types=["checkpoint"])] == [2]


async def _count(rows, n: int) -> bool:
    return len(await rows) == n
