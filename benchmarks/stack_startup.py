"""Time for `brightrun up` to be ready: cold (new state directory) and warm (data found again).

    python benchmarks/stack_startup.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from libs.common.ports import free_port
from services.cli.stack import Stack


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state))
        port = free_port()
        cold = timed(lambda: stack.up(gateway_port=port))
        down = timed(stack.down)
        warm = timed(lambda: stack.up(gateway_port=port))
        stack.down()
    print(f"brightrun up, cold (initdb, new streams): {cold:.2f}s")
    print(f"brightrun up, warm (existing state):      {warm:.2f}s")
    print(f"brightrun down:                           {down:.2f}s")


if __name__ == "__main__":
    main()
