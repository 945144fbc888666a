"""What this installation can run: the rules a new job (or a retry or resume) must pass before it
is accepted, from the platform's settings. Pure: no I/O."""

from __future__ import annotations

import msgspec

from libs.common.settings import Settings
from proto.api import ServiceError
from proto.jobs import FaultInjection


class Platform(msgspec.Struct, frozen=True, kw_only=True):
    gpu_provider: bool  # RunPod is configured: GPU jobs get GPU pods
    # Tests and demos only: a GPU-typed job runs on the local provider and is priced as that GPU
    # (an explicit switch, so no real user is billed H100 prices for a CPU run).
    simulate_gpus_locally: bool = False
    fault_injection: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Platform:
        return cls(gpu_provider=settings.provider == "runpod",
                   simulate_gpus_locally=settings.simulate_gpus_locally,
                   fault_injection=settings.allow_fault_injection)


def check_gpu(platform: Platform, gpu_type: str, gpu_count: int = 1) -> None:
    if gpu_type == "cpu":
        if gpu_count != 1:
            raise ServiceError("invalid_gpu_count", "This machine's CPU trains as one: gpu_count "
                               f"must be 1 with gpu_type 'cpu', not {gpu_count}.",
                               "Set gpu_count to 1, or choose a GPU type.", {"allowed": [1]}, 422)
        return
    if not (platform.gpu_provider or platform.simulate_gpus_locally):
        raise ServiceError(
            "no_gpu_provider", f"This installation has no GPU provider, so a {gpu_type} job "
            "cannot run here (it would train on the CPU).",
            "Configure RunPod (BRIGHTRUN_PROVIDER=runpod and BRIGHTRUN_RUNPOD_API_KEY), or choose "
            "gpu_type 'cpu'.", {"field": "gpu_type", "allowed": ["cpu"]}, 422)


def check_new_job(platform: Platform, gpu_type: str, gpu_count: int,
                  fault_injection: FaultInjection | None) -> None:
    if fault_injection is not None and not platform.fault_injection:
        raise ServiceError(
            "fault_injection_disabled", "This installation does not take fault injection: it "
            "would interrupt a paid instance on purpose.",
            "Leave out `fault_injection`. For demos and tests an operator enables it with "
            "BRIGHTRUN_ALLOW_FAULT_INJECTION=1 (never in production).",
            {"field": "fault_injection"}, 422)
    check_gpu(platform, gpu_type, gpu_count)
