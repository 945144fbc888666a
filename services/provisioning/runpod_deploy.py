"""The GraphQL mutations that rent a pod, on-demand (`podFindAndDeployOnDemand`) and spot
(`podRentInterruptable`): built here rather than by the SDK, whose `create_pod` has no
`containerRegistryAuthId` (a private trainer image) and no spot rental at all.

Values become GraphQL literals through JSON's string escaping (GraphQL strings use the same),
so an image name or environment value cannot break out of its string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# CUDA versions a host's driver may offer, oldest first, as RunPod's allowedCudaVersions names
# them. A host qualifies if its driver runs the trainer image's CUDA build (see
# allowed_cuda_versions): drivers run older CUDA builds, never newer ones.
CUDA_VERSIONS = ("11.8", "12.0", "12.1", "12.2", "12.3", "12.4", "12.5", "12.6", "12.7", "12.8",
                 "12.9", "13.0")
RETURNED = "id desiredStatus imageName env machineId machine { podHostId }"


class Enum(str):
    """A GraphQL enum value (cloudType: ALL), written bare."""


def allowed_cuda_versions(image_cuda: str) -> list[str]:
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))
    return [v for v in CUDA_VERSIONS if key(v) >= key(image_cuda)]


@dataclass(frozen=True)
class PodRequest:
    name: str
    image: str
    gpu_type_id: str
    gpu_count: int
    cloud_type: str
    env: dict[str, str]
    cuda_versions: list[str] = field(default_factory=list)
    registry_auth_id: str = ""
    bid_per_gpu: float | None = None  # set: a spot (interruptible) pod

    def mutation(self) -> str:
        fields: dict[str, Any] = {
            "name": self.name, "imageName": self.image, "gpuTypeId": self.gpu_type_id,
            "cloudType": Enum(self.cloud_type), "gpuCount": self.gpu_count,
            "containerDiskInGb": 40, "volumeInGb": 0, "volumeMountPath": "/workspace",
            "startSsh": True, "supportPublicIp": True,
            "env": [{"key": k, "value": v} for k, v in self.env.items()],
        }
        if self.cuda_versions:
            fields["allowedCudaVersions"] = self.cuda_versions
        if self.registry_auth_id:
            fields["containerRegistryAuthId"] = self.registry_auth_id
        if self.bid_per_gpu is not None:
            fields["bidPerGpu"] = round(self.bid_per_gpu, 4)
        return f"mutation {{ {self.field}(input: {_literal(fields)}) {{ {RETURNED} }} }}"

    @property
    def field(self) -> str:
        return "podFindAndDeployOnDemand" if self.bid_per_gpu is None else "podRentInterruptable"


def _literal(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value)  # strings, numbers, true/false
