"""Which new jobs this installation accepts, from its settings."""

from __future__ import annotations

import pytest

from libs.common.settings import Settings
from proto.api import ServiceError
from proto.jobs import FaultInjection
from services.jobs.admission import Platform, check_new_job

LOCAL = Platform.from_settings(Settings())
RUNPOD = Platform.from_settings(Settings(provider="runpod"))


def refusal(platform: Platform, gpu_type: str, gpu_count: int = 1, faults=None) -> str:
    with pytest.raises(ServiceError) as raised:
        check_new_job(platform, gpu_type, gpu_count, faults)
    return raised.value.error.code


def test_out_of_the_box_only_cpu_jobs_without_fault_injection_are_accepted():
    check_new_job(LOCAL, "cpu", 1, None)
    assert refusal(LOCAL, "H100-80GB") == "no_gpu_provider"
    assert refusal(LOCAL, "cpu", faults=FaultInjection(at_steps=[1])) == "fault_injection_disabled"
    assert refusal(LOCAL, "cpu", gpu_count=2) == "invalid_gpu_count"


def test_with_runpod_gpu_jobs_are_accepted():
    check_new_job(RUNPOD, "H100-80GB", 4, None)


def test_the_test_only_switches_allow_local_gpus_and_faults():
    platform = Platform.from_settings(Settings(simulate_gpus_locally=True,
                                               allow_fault_injection=True))
    check_new_job(platform, "A100-80GB", 2, FaultInjection(at_steps=[3]))
