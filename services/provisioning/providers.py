"""What a pod provider must offer the handlers (pods.py): RunPodProvider does, and the
tests' fake RunPod API stands behind it. Which provider runs a job is chosen in wiring.py.
"""

from __future__ import annotations

from typing import Any, Protocol

from proto.training import TrainingJobSpec
from services.provisioning.runpod_provider import PodState


class PodProvider(Protocol):
    """A cloud that rents GPU pods (RunPodProvider; the tests' fake API stands behind it)."""

    name: str

    def pod_name(self, job_id: object, attempt: int) -> str: ...
    def find(self, name: str) -> str | None: ...
    def platform_pods(self) -> list[tuple[str, str, str]]: ...
    def create(self, spec: TrainingJobSpec, gpu_type: str, pricing: str, gpu_count: int = 1,
               bid_per_gpu: float | None = None) -> str: ...
    def status(self, pod_id: str) -> PodState: ...
    def terminate(self, pod_id: str) -> None: ...
    def gpu_types(self) -> list[dict[str, Any]]: ...
