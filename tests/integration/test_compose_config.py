"""`docker compose` itself accepts docker-compose.yml when the secrets are set and refuses it
without the webhook secret. It runs the docker CLI as a subprocess, so it lives here and not with
the pure file checks in tests/unit/test_deployment_files.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
TEST_SECRETS = {
    "BRIGHTRUN_WEBHOOK_SECRET": "test-webhook-secret",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "MINIO_ROOT_USER": "test-minio-user",
    "MINIO_ROOT_PASSWORD": "test-minio-password",
}


def docker_compose(*args: str, secrets: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker CLI has no compose plugin")
    env = {k: v for k, v in os.environ.items() if k not in TEST_SECRETS and k != "BRIGHTRUN_GATEWAY_URL"}
    return subprocess.run(
        # --env-file /dev/null: a developer's .env must not change the outcome
        ["docker", "compose", "--env-file", os.devnull, "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT, env={**env, **secrets}, capture_output=True, text=True, timeout=60,
    )


def test_docker_compose_accepts_the_file_when_the_secrets_are_set():
    result = docker_compose("config", "-q", secrets=TEST_SECRETS)

    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_the_webhook_secret():
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "BRIGHTRUN_WEBHOOK_SECRET"}

    result = docker_compose("config", "-q", secrets=secrets)

    assert result.returncode != 0
    assert "BRIGHTRUN_WEBHOOK_SECRET" in result.stderr
