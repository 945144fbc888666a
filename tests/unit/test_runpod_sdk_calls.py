"""The RunPod provider through the real `runpod` SDK, against the fake RunPod API (tests/fakes)."""

from __future__ import annotations

import base64
import uuid

import msgspec
import pytest
from fakes.runpod_api import CAPACITY_ERRORS

from proto.training import (
    Hyperparameters,
    LoraSettings,
    ModelRef,
    StorageSettings,
    TrainingJobSpec,
)
from services.provisioning.gpu_prices import price_rows
from services.provisioning.runpod_provider import (
    POD_NAME_PREFIX,
    SPEC_ENV,
    ApiUnavailable,
    NoCapacity,
    ProviderError,
    RunPodProvider,
    pod_phase,
    spec_env,
)


@pytest.fixture
def provider(fake):
    return RunPodProvider(fake.api_key, fake.url, "registry.example/brightrun-trainer:1")


def spec(attempt: int = 1) -> TrainingJobSpec:
    job_id = uuid.uuid4()
    return TrainingJobSpec(
        job_id=job_id, attempt=attempt, model=ModelRef(), lora=LoraSettings(),
        hyperparameters=Hyperparameters(), training_file_key="training-files/x/file.json",
        output_prefix=f"jobs/{job_id}", storage=StorageSettings(url="s3://bucket?secure=true"),
        webhook_url=f"https://gw.example/api/v1/webhooks/trainer/{job_id}",
        webhook_secret="per-job-secret",
    )


def test_spot_pod_is_interruptible_with_bid_gpu_count_image_and_spec_in_env(provider, fake):
    job = spec()
    pod_id = provider.create(job, "H100-80GB", "spot", gpu_count=2, bid_per_gpu=1.4)
    [created] = fake.created
    assert created["id"] == pod_id and created["mutation"] == "podRentInterruptable"
    assert created["gpuTypeId"] == "NVIDIA H100 PCIe" and created["gpuCount"] == 2
    assert created["bidPerGpu"] == pytest.approx(1.4)
    assert created["imageName"] == "registry.example/brightrun-trainer:1"
    env = {e["key"]: e["value"] for e in created["env"]}
    sent = msgspec.json.decode(base64.b64decode(env[SPEC_ENV]), type=TrainingJobSpec)
    assert sent == job  # webhook URL and secret included


def test_on_demand_pod_is_find_and_deploy_on_demand(provider, fake):
    provider.create(spec(), "A100-80GB", "on_demand")
    assert [c["mutation"] for c in fake.created] == ["podFindAndDeployOnDemand"]
    assert fake.created[0]["gpuTypeId"] == "NVIDIA A100 80GB PCIe"


def test_no_capacity_is_its_own_error(provider, fake):
    fake.set_stock("NVIDIA H100 PCIe", False)
    with pytest.raises(NoCapacity, match="no longer any instances available"):
        provider.create(spec(), "H100-80GB", "on_demand")
    assert fake.created == []


def test_http_5xx_and_an_unreachable_api_are_transient(provider, fake):
    fake.fail_next(1, status=502)
    with pytest.raises(ApiUnavailable, match="not answering"):
        provider.status("anything")
    fake.stop()
    with pytest.raises(ApiUnavailable):
        provider.gpu_types()


def test_a_wrong_api_key_says_which_setting_to_fix(fake):
    bad = RunPodProvider("wrong-key", fake.url, "image")
    with pytest.raises(ProviderError, match="BRIGHTRUN_RUNPOD_API_KEY"):
        bad.gpu_types()


def test_slow_pod_boots_after_n_polls_then_runs(provider, fake):
    fake.boot_polls = 3
    pod_id = provider.create(spec(), "L40S-48GB", "on_demand")
    phases = [provider.status(pod_id).phase for _ in range(5)]
    assert phases == ["booting", "booting", "booting", "running", "running"]


def test_preempted_pod_is_exited_and_terminate_makes_it_gone_idempotently(provider, fake):
    pod_id = provider.create(spec(), "H100-80GB", "spot", bid_per_gpu=2.0)
    fake.preempt(pod_id)
    state = provider.status(pod_id)
    assert state.phase == "exited" and "spot instance interrupted" in state.detail
    provider.terminate(pod_id)
    provider.terminate(pod_id)  # a second terminate (redelivery, restart) is harmless
    assert provider.status(pod_id).phase == "gone"
    assert fake.terminated == [pod_id]


def test_find_returns_the_live_pod_of_that_name_only(provider, fake):
    job = spec()
    name = provider.pod_name(job.job_id, job.attempt)
    assert provider.find(name) is None
    pod_id = provider.create(job, "L40S-48GB", "on_demand")
    assert provider.find(name) == pod_id
    provider.terminate(pod_id)
    assert provider.find(name) is None


@pytest.mark.parametrize(("pod", "phase"), [
    (None, "gone"),
    ({"desiredStatus": "TERMINATED"}, "gone"),
    ({"desiredStatus": "EXITED", "runtime": None}, "exited"),
    ({"desiredStatus": "RUNNING", "runtime": None}, "booting"),
    ({"desiredStatus": "CREATED", "runtime": None}, "booting"),
    ({"desiredStatus": "RUNNING", "runtime": {"uptimeInSeconds": 5}}, "running"),
])
def test_runpod_states_map_to_pod_phases(pod, phase):
    assert pod_phase(pod) == phase


def test_prices_come_from_the_lowest_price_and_no_stock_means_unavailable(provider, fake):
    fake.set_stock("NVIDIA L40S", False)
    rows = {r["gpu_type"]: r for r in price_rows(provider.gpu_types())}
    assert set(rows) == {"H100-80GB", "A100-80GB", "L40S-48GB"}
    h100 = rows["H100-80GB"]
    assert h100["available"] and h100["spot_cents_per_hour"] == 112
    assert h100["on_demand_cents_per_hour"] == 203 and h100["memory_gb"] == 80
    assert rows["L40S-48GB"]["available"] is False


def test_the_trainer_reads_the_spec_the_provider_puts_in_the_pod_environment(tmp_path,
                                                                              monkeypatch):
    from trainer.__main__ import spec_from_environment
    from trainer.recipe import load_spec

    job = spec()
    for key, value in spec_env(job).items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "job" / "spec.json"
    spec_from_environment(path)
    assert load_spec(path) == job
    assert path.stat().st_mode & 0o077 == 0  # it holds the webhook secret


# --- RunPod as it really behaves (issue 16) -----------------------------------------------------

@pytest.mark.parametrize("wording", CAPACITY_ERRORS)
@pytest.mark.parametrize("pricing", ["spot", "on_demand"])
def test_every_wording_of_no_capacity_is_no_capacity(provider, fake, wording, pricing):
    fake.set_stock("NVIDIA H100 PCIe", False, spot_only=pricing == "spot", wording=wording)
    with pytest.raises(NoCapacity) as raised:
        provider.create(spec(), "H100-80GB", pricing, bid_per_gpu=2.0)
    assert str(raised.value) == wording and fake.created == []


def test_runpods_generic_error_is_not_taken_for_no_capacity(provider, fake):
    fake.fail_after_create()
    with pytest.raises(ProviderError) as raised:
        provider.create(spec(), "H100-80GB", "on_demand")
    assert not isinstance(raised.value, NoCapacity)
    assert fake.live_pods() == [fake.created[0]["id"]]  # ...and the pod was made: an orphan


def test_platform_pods_lists_the_pods_named_for_the_platform_only(provider, fake):
    ours = provider.create(spec(), "L40S-48GB", "on_demand")
    other = RunPodProvider(fake.api_key, fake.url, "image")
    other.pod_name = lambda job_id, attempt: "someone-elses-notebook"  # type: ignore[method-assign]
    other.create(spec(), "L40S-48GB", "on_demand")
    [(pod_id, name, phase)] = provider.platform_pods()
    assert pod_id == ours and name.startswith(POD_NAME_PREFIX) and phase == "booting"


def test_a_pod_ends_itself_with_its_own_scoped_key_and_no_platform_key(provider, fake):
    from trainer.pod_self import stop_own_pod

    mine = provider.create(spec(), "L40S-48GB", "on_demand")
    neighbour = provider.create(spec(), "L40S-48GB", "on_demand")
    env = fake.pod_env(mine)
    assert fake.api_key not in env.values()  # the platform's key never enters a pod
    assert stop_own_pod({**env, "RUNPOD_POD_ID": neighbour}, retry_delays_s=()) is False
    assert fake.live_pods() == [mine, neighbour]  # the key is scoped: no other pod ends
    assert stop_own_pod(env) is True
    assert fake.terminated == [mine] and fake.live_pods() == [neighbour]


def test_off_runpod_the_trainer_ends_no_pod(fake):
    from trainer.pod_self import stop_own_pod

    assert stop_own_pod({}) is False and fake.operations == []


def test_a_trainer_that_exits_on_a_pod_ends_the_pod(provider, fake, tmp_path, monkeypatch):
    """Here, a spec it cannot read (exit 2): RunPod would restart the container for ever."""
    from proto.trainer_exit import TrainerExit
    from trainer.__main__ import main

    pod_id = provider.create(spec(), "L40S-48GB", "on_demand")
    for key, value in fake.pod_env(pod_id).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(SPEC_ENV, "not base64 !")
    assert main(["run", "--spec", str(tmp_path / "spec.json")]) == TrainerExit.BAD_SPEC
    assert fake.terminated == [pod_id]


def test_pods_go_only_to_hosts_whose_driver_runs_the_images_cuda(fake):
    provider = RunPodProvider(fake.api_key, fake.url, "image", image_cuda="12.8")
    provider.create(spec(), "H100-80GB", "on_demand")
    assert fake.created[0]["allowedCudaVersions"] == ["12.8", "12.9", "13.0"]
    fake.host_cuda_versions = {"12.4"}  # only older drivers free: nothing the image can use
    with pytest.raises(NoCapacity):
        provider.create(spec(), "H100-80GB", "spot", bid_per_gpu=2.0)


def test_a_private_image_boots_only_with_the_registry_credential(fake):
    fake.private_images["registry.example/private-trainer:1"] = "auth-123"
    without = RunPodProvider(fake.api_key, fake.url, "registry.example/private-trainer:1")
    stuck = without.create(spec(), "L40S-48GB", "on_demand")
    assert [without.status(stuck).phase for _ in range(3)] == ["booting"] * 3
    assert "image pull" in without.status(stuck).detail
    with_auth = RunPodProvider(fake.api_key, fake.url, "registry.example/private-trainer:1",
                               registry_auth_id="auth-123")
    pod_id = with_auth.create(spec(), "L40S-48GB", "spot", bid_per_gpu=2.0)
    assert fake.created[-1]["containerRegistryAuthId"] == "auth-123"
    assert with_auth.status(pod_id).phase == "running"


def test_environment_values_reach_the_pod_verbatim(provider, fake, monkeypatch):
    from services.provisioning import runpod_provider

    tricky = 'a "quoted" value\nwith a newline, a \\ and } ] braces'
    original = runpod_provider.spec_env
    monkeypatch.setattr(runpod_provider, "spec_env", lambda job: {**original(job), "X": tricky})
    pod_id = provider.create(spec(), "L40S-48GB", "on_demand")
    assert fake.pod_env(pod_id)["X"] == tricky


def test_spot_bids_on_the_cloud_the_pod_rents_in(fake):
    secure = RunPodProvider(fake.api_key, fake.url, "image", cloud_type="SECURE")
    rows = {r["gpu_type"]: r for r in price_rows(secure.gpu_types())}
    assert rows["H100-80GB"]["spot_cents_per_hour"] == 125  # Secure Cloud's minimum bid
    with pytest.raises(ProviderError, match="below the minimum bid"):
        secure.create(spec(), "H100-80GB", "spot", bid_per_gpu=1.13)  # Community's would do
    secure.create(spec(), "H100-80GB", "spot", bid_per_gpu=1.25)
    assert fake.created[-1]["cloudType"] == "SECURE"
    anywhere = RunPodProvider(fake.api_key, fake.url, "image", cloud_type="ALL")
    assert {r["gpu_type"]: r for r in price_rows(anywhere.gpu_types())}[
        "H100-80GB"]["spot_cents_per_hour"] == 112
    anywhere.create(spec(), "H100-80GB", "spot", bid_per_gpu=1.13)
    assert fake.created[-1]["cloudType"] == "COMMUNITY"
