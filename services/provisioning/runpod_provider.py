"""The RunPod provider: one GPU pod per job attempt, through the `runpod` SDK (GraphQL API).

Blocking calls (the SDK uses `requests`): handlers run them in a worker thread. Every SDK
failure becomes one of three errors, so callers decide by kind, not by message:
`NoCapacity` (nothing to rent now), `ApiUnavailable` (transient: HTTP 5xx, unreachable, garbled
answer) and `ProviderError` (the rest: a bad key, a rejected request).
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from typing import Any, Literal

import requests
import runpod
from runpod import error as runpod_error
from runpod.api.graphql import run_graphql_query

from proto.base import encode
from proto.gpu import RUNPOD_GPU_IDS  # our GPU type names → RunPod's gpuTypeId
from proto.training import TrainingJobSpec
from services.provisioning.runpod_deploy import PodRequest, allowed_cuda_versions

POD_NAME_PREFIX = "brightrun-"  # pods named so are the platform's: the reconciler owns them
SPEC_ENV = "BRIGHTRUN_JOB_SPEC_B64"  # base64: the SDK puts env values in GraphQL unescaped
# The SDK reads its API URL from this variable on every call (and has no per-call override).
API_URL_ENV = "RUNPOD_API_BASE_URL"
_sdk_lock = threading.Lock()  # the SDK's key and URL are process-wide: one configuration at a time

PodPhase = Literal["booting", "running", "exited", "gone"]
# RunPod says "nothing to rent" in several ways, by API, GPU and moment (seen in its SDK's and
# other clients' issue trackers): the requested specifications, disk space, a machine picked
# and then found full. All of them mean "try later or elsewhere", never "your request is bad".
CAPACITY_MARKERS = (
    "no longer any instances available",  # "...with the requested specifications", "...with
    # the request specifications", "...with enough disk space"
    "no instances currently available",  # the REST API's wording
    "does not have the resources to deploy your pod",  # "This machine ...; try a different machine"
)


class ProviderError(Exception):
    """RunPod refused or failed; the message says what happened and what to do."""


class NoCapacity(ProviderError):
    pass


class ApiUnavailable(ProviderError):
    pass


@dataclass(frozen=True)
class PodState:
    pod_id: str
    phase: PodPhase
    detail: str = ""
    cost_per_hr: float | None = None


def is_capacity_error(message: str) -> bool:
    return any(marker in message.lower() for marker in CAPACITY_MARKERS)


def pod_phase(pod: dict[str, Any] | None) -> PodPhase:
    """RunPod's desiredStatus (+ runtime, which appears once the container is up) → our phase."""
    if pod is None:
        return "gone"  # RunPod forgets terminated pods
    status = pod.get("desiredStatus")
    if status in ("TERMINATED", "DEAD"):
        return "gone"
    if status in ("EXITED", "PAUSED"):
        return "exited"
    return "running" if pod.get("runtime") else "booting"  # CREATED, RUNNING, RESTARTING


def spec_env(spec: TrainingJobSpec) -> dict[str, str]:
    """The job spec (with its webhook URL and secret) as the pod's environment."""
    return {SPEC_ENV: base64.b64encode(encode(spec)).decode(), "BRIGHTRUN_JOB_ID": str(spec.job_id)}


PRICES_QUERY = """
query GpuTypes {
  gpuTypes {
    id displayName memoryInGb secureCloud communityCloud securePrice communityPrice
    secureSpotPrice communitySpotPrice
    lowestPrice(input: {gpuCount: 1}) { minimumBidPrice uninterruptablePrice stockStatus }
    spot: lowestPrice(input: {gpuCount: 1, secureCloud: %s}) { minimumBidPrice }
  }
}
"""


def spot_cloud(cloud_type: str) -> str:
    """The cloud a spot pod rents in, so its bid is priced from that cloud's minimum bid (the
    clouds' minimums differ: a bid from one is refused in the other). With either cloud
    allowed, spot goes to Community Cloud, the one RunPod's own docs tie bids to."""
    return "COMMUNITY" if cloud_type == "ALL" else cloud_type


class RunPodProvider:
    name = "runpod"

    def __init__(self, api_key: str, api_url: str, image: str, cloud_type: str = "ALL",
                 image_cuda: str = "", registry_auth_id: str = "") -> None:
        self.api_key = api_key
        self.api_url = api_url.rstrip("/")
        self.image = image
        self.cloud_type = cloud_type
        # Hosts whose driver runs the image's CUDA build; none named: any host.
        self.cuda_versions = allowed_cuda_versions(image_cuda) if image_cuda else []
        self.registry_auth_id = registry_auth_id  # a private image's registry credential

    @staticmethod
    def pod_name(job_id: object, attempt: int) -> str:
        return f"{POD_NAME_PREFIX}{job_id}-{attempt}"

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with _sdk_lock:
            runpod.api_key = self.api_key
            os.environ[API_URL_ENV] = self.api_url
            try:
                return fn(*args, **kwargs)
            except runpod_error.AuthenticationError as exc:
                raise ProviderError("RunPod rejected the API key. Set BRIGHTRUN_RUNPOD_API_KEY "
                                    "to a key with pod permissions.") from exc
            except runpod_error.QueryError as exc:
                if is_capacity_error(str(exc)):
                    raise NoCapacity(str(exc)) from exc
                raise ProviderError(f"RunPod refused the request: {exc}") from exc
            except (requests.RequestException, KeyError, TypeError) as exc:
                # 5xx pages are HTML (JSON decode fails); a dead host refuses the connection.
                raise ApiUnavailable(f"RunPod's API at {self.api_url} is not answering "
                                     f"({type(exc).__name__}).") from exc

    def platform_pods(self) -> list[tuple[str, str, PodPhase]]:
        """(id, name, phase) of every pod of this account named for the platform (pod_name)."""
        return [(p["id"], p["name"], pod_phase(p)) for p in self._call(runpod.get_pods)
                if (p.get("name") or "").startswith(POD_NAME_PREFIX)]

    def find(self, name: str) -> str | None:
        """The live pod already created under this name (after a crash or an ambiguous 5xx)."""
        pods = self._call(runpod.get_pods)
        return next((p["id"] for p in pods if p.get("name") == name
                     and pod_phase(p) in ("booting", "running")), None)

    def create(self, spec: TrainingJobSpec, gpu_type: str, pricing: str, gpu_count: int = 1,
               bid_per_gpu: float | None = None) -> str:
        gpu_id = RUNPOD_GPU_IDS[gpu_type]
        name = self.pod_name(spec.job_id, spec.attempt)
        # The trainer ends its own pod through this API (trainer/pod_self.py).
        env = {**spec_env(spec), API_URL_ENV: self.api_url}
        assert pricing != "spot" or bid_per_gpu is not None, "a spot pod needs a bid"
        cloud = spot_cloud(self.cloud_type) if pricing == "spot" else self.cloud_type
        request = PodRequest(name, self.image, gpu_id, gpu_count, cloud, env,
                             self.cuda_versions, self.registry_auth_id,
                             bid_per_gpu if pricing == "spot" else None)
        answer = self._call(run_graphql_query, request.mutation())
        return answer["data"][request.field]["id"]

    def status(self, pod_id: str) -> PodState:
        pod = self._call(runpod.get_pod, pod_id)
        return PodState(pod_id, pod_phase(pod), (pod or {}).get("lastStatusChange") or "",
                        (pod or {}).get("costPerHr"))

    def terminate(self, pod_id: str) -> None:
        """Idempotent: a pod RunPod no longer knows is as terminated as it gets."""
        try:
            self._call(runpod.terminate_pod, pod_id)
        except ProviderError as exc:
            if isinstance(exc, ApiUnavailable) or self.status(pod_id).phase != "gone":
                raise

    def gpu_types(self) -> list[dict[str, Any]]:
        secure = "true" if spot_cloud(self.cloud_type) == "SECURE" else "false"
        return self._call(run_graphql_query, PRICES_QUERY % secure)["data"]["gpuTypes"]
