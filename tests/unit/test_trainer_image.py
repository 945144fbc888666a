"""The trainer image (infra/images/trainer.Dockerfile) runs what the project tests, and RunPod
pods ask for the CUDA it was built for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from libs.common.settings import Settings
from services.provisioning.runpod_deploy import allowed_cuda_versions

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "infra/images/trainer.Dockerfile").read_text()


def build_arg(name: str) -> str:
    [value] = re.findall(rf"^ARG {name}=(\S+)$", DOCKERFILE, re.MULTILINE)
    return value


def test_the_image_installs_the_torch_the_project_pins():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [torch] = [p for p in pins if re.match(r"torch\b", p)]
    assert torch == f"torch=={build_arg('TORCH_VERSION')}"


def test_pods_ask_for_the_cuda_the_image_is_built_for():
    image_cuda = build_arg("CUDA_VERSION")
    assert Settings().runpod_image_cuda == image_cuda
    assert allowed_cuda_versions(image_cuda)[0] == image_cuda  # never an older driver

