"""The whole stack, as `brightrun up` starts it, driven over HTTP and websockets like a user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import SAMPLE_FILE

from libs.common.ports import free_port
from libs.common.settings import Settings
from services.cli.stack import Stack


@dataclass
class RunningStack:
    stack: Stack
    settings: Settings
    sample_file: Path

    @property
    def gateway_url(self) -> str:
        return self.settings.gateway_url

    @property
    def api(self) -> str:
        return f"{self.settings.gateway_url}/api/v1"


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One stack per test module; a module's `STACK_ENV` adds settings of its own."""
    stack = Stack(tmp_path_factory.mktemp("stack"), durable=False)
    # The recovery tests simulate spot reclaims: an operator's switch, on for this test stack,
    # and GPU-typed jobs run on the local provider at the GPU's price (test-only switches).
    settings = stack.up({"BRIGHTRUN_ALLOW_FAULT_INJECTION": "1",
                         "BRIGHTRUN_SIMULATE_GPUS_LOCALLY": "1",
                         **getattr(request.module, "STACK_ENV", {})}, gateway_port=free_port())
    try:
        yield RunningStack(stack, settings, SAMPLE_FILE)
    finally:
        stack.down()
