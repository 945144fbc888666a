"""Provisioning's rules without I/O: which pods are orphans, which settings a pod cannot reach,
what a trainer is given to reach storage."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

import pytest

from libs.common.settings import Settings
from libs.common.storage_grants import StorageGrants
from proto.jobs import FaultInjection, JobQueued
from proto.training import Hyperparameters, LoraSettings, ModelRef
from services.provisioning.domain import (
    build_spec,
    is_orphan,
    parse_pod_name,
    pod_reachability_error,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
JOB = uuid.uuid4()


def owner(status: str, pod_id: str | None, age_s: float = 0.0) -> dict:
    return {"status": status, "pod_id": pod_id, "created_at": NOW - dt.timedelta(seconds=age_s)}


def test_pod_names_parse_back_to_job_and_attempt():
    assert parse_pod_name(f"brightrun-{JOB}-3", "brightrun-") == (JOB, 3)
    assert parse_pod_name("brightrun-notebook", "brightrun-") is None
    assert parse_pod_name(f"brightrun-{JOB}-x", "brightrun-") is None


@pytest.mark.parametrize(("row", "orphan"), [
    (None, False),  # a job this database never saw: maybe another installation's
    (owner("running", "pod-a"), False),  # the instance's own pod
    (owner("terminating", "pod-a"), False),  # being ended by the watcher already
    (owner("exited", None), True),  # the create answered an error, yet made the pod
    (owner("exited", "pod-a"), True),  # ended, yet its pod still runs (a terminate was lost)
    (owner("exited", "pod-b"), True),  # a second pod for the attempt
    (owner("running", "pod-b"), True),
    (owner("starting", None, age_s=5), False),  # create in flight: not yet committed
    (owner("starting", None, age_s=601), True),  # crashed between create and commit
])
def test_orphans_are_live_pods_no_instance_owns(row, orphan):
    assert is_orphan("pod-a", row, NOW, create_grace_s=600) is orphan


def runpod(**changes) -> Settings:
    base = {"provider": "runpod", "runpod_api_url": "https://api.runpod.io",
            "gateway_url": "https://brightrun.example.com", "storage_url": "s3://k:s@s3.example.com/b"}
    return Settings(**{**base, **changes})


@pytest.mark.parametrize(("changes", "unreachable"), [
    ({}, set()),
    ({"gateway_url": "http://127.0.0.1:8400"}, {"BRIGHTRUN_GATEWAY_URL"}),
    ({"gateway_url": "http://localhost:8400"}, {"BRIGHTRUN_GATEWAY_URL"}),
    ({"storage_url": ""}, set()),  # a local directory: pods reach it through the gateway
    ({"storage_url": "", "trainer_storage": "direct"}, {"BRIGHTRUN_STORAGE_URL"}),  # file://
    ({"storage_url": "s3://k:s@[::1]:9000/b", "trainer_storage": "direct"},
     {"BRIGHTRUN_STORAGE_URL"}),
    ({"runpod_api_url": "http://127.0.0.1:9999", "gateway_url": "http://127.0.0.1:1"}, set()),
    ({"provider": "local", "gateway_url": "http://127.0.0.1:1"}, set()),
])
def test_settings_a_runpod_pod_cannot_reach_are_refused(changes, unreachable):
    error = pod_reachability_error(runpod(**changes))
    if not unreachable:
        assert error is None
        return
    assert error is not None and set(error.error.details["unreachable"]) == unreachable
    assert error.error.code == "settings_unreachable_from_pods"
    assert "public https URL" in error.error.how_to_fix


def queued(**changes) -> JobQueued:
    return JobQueued(job_id=JOB, training_file_key="training-files/f1/data.json", model=ModelRef(),
                     lora=LoraSettings(), hyperparameters=Hyperparameters(), **changes)


def test_a_pod_gets_a_grant_for_its_own_files_and_never_the_storage_keys():
    spec = build_spec(queued(), runpod(), on_pod=True)
    url = urlsplit(spec.storage.url)
    assert (url.scheme, url.hostname, url.path) == (
        "brightrun+https", "brightrun.example.com", f"/api/v1/job-storage/{JOB}")
    assert "s3://" not in spec.storage.url and "k:s@" not in spec.storage.url
    grant = StorageGrants(runpod().webhook_secret).open(url.password or "", JOB)
    assert grant.read == ("training-files/f1/data.json",)
    assert grant.write == (f"jobs/{JOB}/",)


@pytest.mark.parametrize(("trainer_storage", "on_pod", "scoped"), [
    ("auto", True, True), ("auto", False, False),  # a local trainer is this machine's own
    ("scoped", False, True), ("direct", True, False),
])
def test_the_operator_chooses_how_trainers_reach_storage(trainer_storage, on_pod, scoped):
    spec = build_spec(queued(), runpod(trainer_storage=trainer_storage), on_pod=on_pod)
    assert spec.storage.url.startswith("brightrun+") is scoped


def test_the_trainer_is_told_the_grace_its_machine_gives_after_sigterm():
    assert build_spec(queued(), runpod(), on_pod=True).stop_grace_s == 5.0  # RunPod's FAQ
    assert build_spec(queued(), runpod(), on_pod=False).stop_grace_s == 30.0
    reclaimed = queued(fault_injection=FaultInjection(at_steps=[3], grace_s=2.0))
    assert build_spec(reclaimed, runpod(), on_pod=False).stop_grace_s == 2.0
