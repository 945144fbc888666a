"""What an instance needs to run a job (the trainer's spec), and which pods are orphans. No I/O."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from libs.common.settings import Settings
from libs.common.signing import derive_job_secret
from libs.common.storage_grants import StorageGrants, job_grant
from proto.api import ServiceError
from proto.jobs import JobQueued
from proto.training import StorageSettings, TrainingJobSpec

# Between SIGTERM and SIGKILL. RunPod's FAQ: a stopped pod "is given 5 seconds to stop with
# SIGTERM and eventually SIGKILL after 5 seconds" (docs.runpod.io/faq, "OnDemand vs Spot Pod").
RUNPOD_STOP_GRACE_S = 5.0
LOCAL_STOP_GRACE_S = 30.0  # LocalProvider.terminate's


def output_prefix(job_id: object) -> str:
    return f"jobs/{job_id}"


def build_spec(event: JobQueued, settings: Settings, *, on_pod: bool = False) -> TrainingJobSpec:
    """`on_pod`: the trainer runs on a RunPod pod, which gets a storage grant, never the keys
    (unless an operator chose BRIGHTRUN_TRAINER_STORAGE=direct)."""
    scoped = settings.trainer_storage == "scoped" or (on_pod and settings.trainer_storage == "auto")
    return TrainingJobSpec(
        job_id=event.job_id,
        attempt=event.attempt,
        model=event.model,
        lora=event.lora,
        hyperparameters=event.hyperparameters,
        training_file_key=event.training_file_key,
        output_prefix=output_prefix(event.job_id),
        storage=StorageSettings(url=scoped_storage_url(event, settings) if scoped
                                else settings.resolved_storage_url),
        webhook_url=f"{settings.gateway_url.rstrip('/')}/api/v1/webhooks/trainer/{event.job_id}",
        webhook_secret=derive_job_secret(settings.webhook_secret, event.job_id),
        resume_from=event.resume_from,
        validation=event.validation,
        stop_grace_s=stop_grace_s(event, on_pod),
    )


def stop_grace_s(event: JobQueued, on_pod: bool) -> float:
    """What the trainer can count on after SIGTERM: RunPod's, or ours (a fault-injected spot
    reclaim may give less)."""
    if on_pod:
        return RUNPOD_STOP_GRACE_S
    injected = event.fault_injection.grace_s if event.fault_injection else LOCAL_STOP_GRACE_S
    return max(min(LOCAL_STOP_GRACE_S, injected), 0.1)


def scoped_storage_url(event: JobQueued, settings: Settings) -> str:
    """The gateway's job-storage routes for this job, its grant in the URL's user part."""
    grant = job_grant(event.job_id, event.training_file_key, output_prefix(event.job_id),
                      event.resume_from, event.validation and event.validation.adapter_key)
    token = StorageGrants(settings.webhook_secret).issue(grant)
    gateway = urlsplit(settings.gateway_url)
    return urlunsplit((f"brightrun+{gateway.scheme}", f"grant:{token}@{gateway.netloc}",
                       f"{gateway.path.rstrip('/')}/api/v1/job-storage/{event.job_id}", "", ""))


def parse_pod_name(name: str, prefix: str) -> tuple[uuid.UUID, int] | None:
    """(job, attempt) from a pod named `<prefix><job id>-<attempt>`; None for any other name."""
    job, _, attempt = name.removeprefix(prefix).rpartition("-")
    try:
        return uuid.UUID(job), int(attempt)
    except ValueError:
        return None


def is_orphan(pod_id: str, owner: dict[str, Any] | None, now: dt.datetime,
              create_grace_s: float) -> bool:
    """Whether a live pod named for (job, attempt) belongs to no instance: the instance row
    (`owner`) has ended, or holds another pod or none. A row with no pod yet may be creating
    this very one (create answered, commit not yet made): it gets `create_grace_s` from its
    claim, past which a redelivered JobQueued would long since have adopted the pod by name. A
    pod whose job this database never saw is left alone: another installation may share the
    RunPod account. (An ended instance's own pod is reported too: cost keeps the times it
    already has for the attempt, so nothing is billed twice.)"""
    if owner is None:
        return False
    if owner["status"] == "exited":  # no pod of an ended instance should run, its own included
        return True
    if owner["pod_id"] == pod_id:
        return False
    creating = owner["status"] == "starting" and owner["pod_id"] is None
    return not creating or (now - owner["created_at"]).total_seconds() >= create_grace_s


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.endswith(".localhost") or _is_loopback_ip(host)


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pod_reachability_error(settings: Settings) -> ServiceError | None:
    """Settings a RunPod pod cannot use: it runs on RunPod's machines, where this machine's
    loopback and files are not. Against an API on loopback (the tests' fake RunPod), the
    "pods" are this machine's too, and loopback is where they are."""
    if settings.provider != "runpod" or _loopback(settings.runpod_api_url):
        return None
    # A scoped pod reaches storage through the gateway: a store on this machine's disk will do.
    reached = [("BRIGHTRUN_GATEWAY_URL", settings.gateway_url)]
    if settings.trainer_storage == "direct":
        reached.append(("BRIGHTRUN_STORAGE_URL", settings.resolved_storage_url))
    problems = {name: url for name, url in reached if url.startswith("file:") or _loopback(url)}
    if not problems:
        return None
    return ServiceError(
        "settings_unreachable_from_pods",
        f"BRIGHTRUN_PROVIDER=runpod, but a RunPod pod cannot reach "
        f"{' or '.join(f'{k}={v}' for k, v in problems.items())}: the trainer would never "
        f"report or read its training file.",
        "Set BRIGHTRUN_GATEWAY_URL to the gateway's public https URL (pods reach storage "
        "through it) — with BRIGHTRUN_TRAINER_STORAGE=direct, BRIGHTRUN_STORAGE_URL to object "
        "storage reachable from the internet (s3://...) too — or use BRIGHTRUN_PROVIDER=local.",
        {"unreachable": problems}, 500)
