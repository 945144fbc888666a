"""`brightrun keys` against a running stack whose gateway requires keys (issue 15): the key the
command prints opens the API, with its role; `keys list` never shows it; `keys revoke` closes it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from libs.common.ports import free_port
from libs.common.settings import Settings
from services.cli.stack import Stack


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Settings]]:
    state = tmp_path_factory.mktemp("keys-stack")
    stack = Stack(state, durable=False)
    settings = stack.up({"BRIGHTRUN_REQUIRE_API_KEYS": "1", "BRIGHTRUN_API_KEY_CACHE_S": "0.5"},
                        gateway_port=free_port())
    try:
        yield state, settings
    finally:
        stack.down()


def brightrun(state: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", "--state-dir", str(state), *args],
                          capture_output=True, text=True, timeout=60)


def test_the_printed_key_opens_the_api_with_its_role_until_revoked(guarded):
    state, settings = guarded
    api = f"{settings.gateway_url}/api/v1"
    assert httpx.get(f"{api}/jobs").status_code == 401

    created = brightrun(state, "keys", "create", "--role", "viewer", "--name", "e2e dashboards")
    assert created.returncode == 0, created.stdout + created.stderr
    key = created.stdout.splitlines()[0].strip()
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{api}/jobs", headers=auth).status_code == 200
    write = httpx.post(f"{api}/training-sets", headers=auth, json={"name": "x"})
    assert write.status_code == 403 and write.json()["error"]["code"] == "read_only_api_key"

    listed = brightrun(state, "keys", "list")
    assert listed.returncode == 0 and key[:12] in listed.stdout and "e2e dashboards" in listed.stdout
    assert key not in listed.stdout

    revoked = brightrun(state, "keys", "revoke", key[:12])
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    deadline = time.monotonic() + 15
    status = 200
    while status != 401 and time.monotonic() < deadline:  # the gateway's cache window (0.5 s)
        status = httpx.get(f"{api}/jobs", headers=auth).status_code
        time.sleep(0.1)
    assert status == 401
    active = brightrun(state, "keys", "list")
    assert key[:12] not in active.stdout  # revoked keys are listed with --all only
    assert key[:12] in brightrun(state, "keys", "list", "--all").stdout
