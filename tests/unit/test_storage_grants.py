"""A job's storage grant: what it covers, and that it cannot be stretched, forged or kept."""

from __future__ import annotations

import uuid

import pytest

from libs.common.storage_grants import GrantRefused, StorageGrant, StorageGrants, job_grant

JOB = uuid.uuid4()
GRANT = job_grant(JOB, "training-files/f1/data.json", f"jobs/{JOB}",
                  f"jobs/{JOB}/checkpoints/step-10", None)


@pytest.mark.parametrize(("key", "write", "allowed"), [
    ("training-files/f1/data.json", False, True),
    ("training-files/f1/data.json", True, False),  # its input is read-only
    ("training-files/f1/data.json.bak", False, False),  # an exact key, not a prefix
    ("training-files/f2/data.json", False, False),  # another user's upload
    (f"jobs/{JOB}/checkpoints/step-20/adapter.safetensors", True, True),
    (f"jobs/{JOB}", True, False),  # the prefix itself is no object of the job's
    (f"jobs/{JOB}x/adapter/a.bin", False, False),  # a job id that merely starts the same
    (f"jobs/{uuid.uuid4()}/adapter/a.bin", False, False),
])
def test_a_job_reads_its_file_and_prefix_and_writes_only_its_prefix(key, write, allowed):
    assert GRANT.allows(key, write=write) is allowed


def test_a_listing_stays_inside_a_readable_prefix():
    assert GRANT.allows_listing(f"jobs/{JOB}/checkpoints/")
    assert not GRANT.allows_listing("jobs/")
    assert not GRANT.allows_listing("training-files/")  # the file is an exact key: no listing


def test_a_grant_opens_only_unaltered_for_its_job_before_it_expires():
    now = [1_000_000.0]
    grants = StorageGrants("platform-secret", ttl_s=3600, clock=lambda: now[0])
    token = grants.issue(GRANT)
    assert grants.open(token, JOB) == GRANT
    with pytest.raises(GrantRefused, match="another job"):
        grants.open(token, uuid.uuid4())
    with pytest.raises(GrantRefused, match="not valid"):
        StorageGrants("another-installation").open(token, JOB)
    wider = StorageGrants("guess").issue(StorageGrant(job_id=JOB, write=("jobs/",)))
    with pytest.raises(GrantRefused, match="not valid"):
        grants.open(wider, JOB)
    now[0] += 3601
    with pytest.raises(GrantRefused, match="expired"):
        grants.open(token, JOB)
