"""The trainer image's entrypoint (infra/images/trainer-entrypoint.sh), run by /bin/sh with a
stand-in `python` on PATH: what it does with RunPod's SIGTERM, and after the trainer."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

ENTRYPOINT = Path(__file__).resolve().parents[2] / "infra/images/trainer-entrypoint.sh"


def test_the_entrypoint_passes_sigterm_on_and_ends_the_pod_after_the_trainer(tmp_path):
    """The image's PID 1 is a shell: it must hand RunPod's SIGTERM to the trainer (which then
    checkpoints) and, however `run` ended, run `stop-pod` (here a stand-in `python` logs both)."""
    log = tmp_path / "calls.log"
    stub = tmp_path / "python"
    stub.write_text(f"""#!/bin/sh
echo "$*" >> {log}
if [ "$3" = "run" ]; then
    trap 'echo checkpointed-on-term >> {log}; exit 143' TERM
    echo started >> {log}
    while :; do sleep 0.05; done
fi
""")
    stub.chmod(0o755)
    process = subprocess.Popen(["sh", str(ENTRYPOINT)],
                               env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    deadline = time.monotonic() + 10
    while "started" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 143
    assert log.read_text().splitlines() == [
        "-m trainer run --spec /job/spec.json", "started", "checkpointed-on-term",
        "-m trainer stop-pod"]
