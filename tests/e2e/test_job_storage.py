"""Job storage through the gateway (issue 16): a trainer that holds a grant, never the store's keys,
reads its file and writes its checkpoints and adapter; anything else is refused."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest
from journey import start_job, upload, wait_for_status
from support import SAMPLE_FILE

from libs.common.job_storage import GRANT_HEADER, GatewayStore
from libs.common.storage import ObjectNotFound, StorageRefused, open_store
from libs.common.storage_grants import StorageGrant, StorageGrants
from proto.training import TrainingJobSpec

JOB = uuid.uuid4()


# Every trainer here is given scoped storage, as a RunPod pod is (tests/e2e/conftest.py: stack).
STACK_ENV = {"BRIGHTRUN_TRAINER_STORAGE": "scoped"}


def scoped(stack, grant: StorageGrant, secret: str | None = None) -> GatewayStore:
    token = StorageGrants(secret or stack.settings.webhook_secret).issue(grant)
    gateway = urlsplit(stack.gateway_url)
    return GatewayStore(f"brightrun+http://grant:{token}@{gateway.netloc}/api/v1/job-storage/"
                        f"{grant.job_id}")


@pytest.fixture(scope="module")
def job_store(stack) -> GatewayStore:
    open_store(stack.settings.resolved_storage_url).put_bytes("training-files/mine/f.json", b"{}")
    return scoped(stack, StorageGrant(job_id=JOB, read=("training-files/mine/f.json",),
                                      write=(f"jobs/{JOB}/",)))


def test_a_grant_reads_and_writes_what_it_covers_in_the_platform_store(stack, job_store,
                                                                        tmp_path: Path) -> None:
    platform = open_store(stack.settings.resolved_storage_url)
    assert job_store.get_bytes("training-files/mine/f.json") == b"{}"
    checkpoint = tmp_path / "adapter.bin"
    checkpoint.write_bytes(bytes(range(256)) * 9000)  # 2.3 MB: several chunks each way
    job_store.put_file(f"jobs/{JOB}/checkpoints/step-3/adapter.bin", checkpoint)
    job_store.put_bytes(f"jobs/{JOB}/checkpoints/step-3/manifest.json", b'{"step": 3}')
    assert platform.get_bytes(f"jobs/{JOB}/checkpoints/step-3/adapter.bin") == checkpoint.read_bytes()
    assert job_store.list(f"jobs/{JOB}/checkpoints/") == [
        f"jobs/{JOB}/checkpoints/step-3/adapter.bin", f"jobs/{JOB}/checkpoints/step-3/manifest.json"]
    assert job_store.size(f"jobs/{JOB}/checkpoints/step-3/adapter.bin") == 256 * 9000
    back = tmp_path / "back.bin"
    job_store.get_file(f"jobs/{JOB}/checkpoints/step-3/adapter.bin", back)
    assert back.read_bytes() == checkpoint.read_bytes()
    assert b"".join(job_store.iter_range(f"jobs/{JOB}/checkpoints/step-3/adapter.bin", 10, 19)) \
        == checkpoint.read_bytes()[10:20]
    job_store.delete(f"jobs/{JOB}/checkpoints/step-3/manifest.json")
    assert not job_store.exists(f"jobs/{JOB}/checkpoints/step-3/manifest.json")
    with pytest.raises(ObjectNotFound):
        job_store.get_bytes(f"jobs/{JOB}/nothing-here")


@pytest.mark.parametrize("attempt", [
    lambda s: s.get_bytes("training-files/someone-else/f.json"),
    lambda s: s.put_bytes("training-files/mine/f.json", b"overwritten"),  # its input: read-only
    lambda s: s.put_bytes(f"jobs/{uuid.uuid4()}/adapter/a.bin", b"x"),
    lambda s: s.list("jobs/"),
    lambda s: s.delete("training-files/mine/f.json"),
], ids=["read another file", "overwrite its input", "write another job", "list all jobs",
        "delete its input"])
def test_whatever_the_grant_does_not_cover_is_refused(stack, job_store, attempt) -> None:
    with pytest.raises(StorageRefused, match="does not cover"):
        attempt(job_store)
    assert open_store(stack.settings.resolved_storage_url).get_bytes(
        "training-files/mine/f.json") == b"{}"


def test_a_forged_or_borrowed_grant_opens_nothing(stack) -> None:
    wide = StorageGrant(job_id=JOB, read=("",), write=("jobs/",))
    with pytest.raises(StorageRefused, match="not valid"):
        scoped(stack, wide, secret="a guess").get_bytes("training-files/mine/f.json")
    other_job = urlsplit(scoped(stack, wide).url)
    # A real grant for JOB, sent to another job's routes.
    response = httpx.get(f"{stack.api}/job-storage/{uuid.uuid4()}/objects",
                         params={"prefix": "jobs/"}, headers={GRANT_HEADER: other_job.password})
    assert response.status_code == 401 and "another job" in response.json()["error"]["message"]
    assert httpx.get(f"{stack.api}/job-storage/{JOB}/objects",
                     params={"prefix": f"jobs/{JOB}/"}).status_code == 401  # no grant at all


def test_a_job_trains_through_its_grant_and_its_trainer_never_sees_the_store(stack) -> None:
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", SAMPLE_FILE.read_bytes()).json()["id"]
        job = start_job(api, file_id, max_steps=6, checkpoint_every_steps=3)
        done = wait_for_status(api, job["id"], {"completed", "failed"}, 300)
        assert done["status"] == "completed", done
        assert api.get(f"/jobs/{job['id']}/artifacts/adapter").status_code == 200
        checkpoints = api.get(f"/jobs/{job['id']}/checkpoints").json()
    [spec_path] = stack.settings.state_path.rglob(f"{job['id']}-1/spec.json")
    spec = msgspec.json.decode(spec_path.read_bytes(), type=TrainingJobSpec)
    assert spec.storage.url.startswith("brightrun+http://grant:")
    assert stack.settings.resolved_storage_url not in spec_path.read_text()
    stored = open_store(stack.settings.resolved_storage_url).list(f"jobs/{job['id']}/")
    assert any("/checkpoints/" in key for key in stored), stored
    assert checkpoints, "the checkpoints the trainer wrote through the gateway are listed"
