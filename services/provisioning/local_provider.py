"""The local provider: the trainer as a subprocess of this machine.

Trainers run in their own session so they outlive a provisioning crash; a restarted service
adopts them again by pid. Only a process we started ourselves can tell us its exit code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from proto.base import encode
from proto.training import TrainingJobSpec
from services.provisioning.domain import LOCAL_STOP_GRACE_S

# The shell records the trainer's exit code, so a provisioning service restarted after a crash
# (no longer the parent) still learns how its adopted trainer ended. The TERM trap keeps the
# shell alive until the trainer, which checkpoints on SIGTERM, has finished.
WRAPPER = 'trap true TERM; "$1" -m trainer run --spec "$2"; code=$?; ' \
          'echo $code > "$(dirname "$2")/exit_code"; exit $code'


class LocalProvider:
    name = "local"

    def __init__(self, state_dir: Path, python: str) -> None:
        self.root = state_dir / "instances"
        self.python = python
        self._children: dict[int, subprocess.Popen] = {}
        self._spec_paths: dict[int, str] = {}
        # Exit codes of children already reaped: whoever polls first (the exit watcher, or a
        # terminate in a worker thread) must not take the code from the other.
        self._reaped: dict[int, int] = {}

    def instance_dir(self, spec: TrainingJobSpec) -> Path:
        return self.root / f"{spec.job_id}-{spec.attempt}"

    def write_spec(self, spec: TrainingJobSpec) -> Path:
        folder = self.instance_dir(spec)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "spec.json"
        # The spec holds the job's webhook secret: readable by us alone.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(encode(spec))
        return path

    def start(self, spec: TrainingJobSpec) -> int:
        spec_path = self.write_spec(spec)
        log = open(spec_path.with_name("trainer.log"), "ab")  # noqa: SIM115 - child owns it
        spec_path.with_name("exit_code").unlink(missing_ok=True)
        process = subprocess.Popen(
            ["/bin/sh", "-c", WRAPPER, "sh", self.python, str(spec_path)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(spec_path.parent),
        )
        log.close()
        self._children[process.pid] = process
        self._spec_paths[process.pid] = str(spec_path)
        return process.pid

    def find(self, spec_path: str) -> int | None:
        """The pid of a trainer already running this spec (after our own restart), if any."""
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            cmdline = proc.info.get("cmdline") or []
            pid = proc.info["pid"]
            if spec_path in cmdline and proc.info.get("status") != psutil.STATUS_ZOMBIE:
                if os.getsid(pid) == pid:  # the wrapper leads the trainer's session
                    self.adopt(pid, spec_path)
                    return pid
        return None

    def poll(self, pid: int) -> tuple[bool, int | None]:
        """(alive, exit_code); the code is None for a process that is not our child."""
        if pid in self._reaped:
            return False, self._reaped[pid]
        child = self._children.get(pid)
        if child is not None:
            code = child.poll()
            if code is not None:
                self._reaped[pid] = code
                self._children.pop(pid, None)
            return code is None, code
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return True, None
        except psutil.NoSuchProcess:
            pass
        return False, self._recorded_exit_code(pid)

    def _recorded_exit_code(self, pid: int) -> int | None:
        spec_path = self._spec_paths.get(pid)
        if spec_path is None:
            return None
        try:
            return int(Path(spec_path).with_name("exit_code").read_text().strip())
        except (OSError, ValueError):
            return None

    def adopt(self, pid: int, spec_path: str) -> None:
        self._spec_paths[pid] = spec_path

    def terminate(self, pid: int, grace_s: float = LOCAL_STOP_GRACE_S) -> None:
        """SIGTERM (the trainer checkpoints), then SIGKILL after the grace period.

        The SIGTERM is repeated each second: the wrapper shell ignores it, and a trainer it
        forks just after the first one would never hear it (the trainer treats a repeat as
        the same request)."""
        deadline = time.monotonic() + grace_s
        next_signal = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_signal:
                try:
                    os.killpg(pid, signal.SIGTERM)
                except ProcessLookupError:
                    return
                next_signal = time.monotonic() + 1.0
            if not self.poll(pid)[0]:
                return
            time.sleep(0.2)
        self.kill(pid)

    def kill(self, pid: int, wait_s: float = 10.0) -> None:
        """SIGKILL the instance's process group and wait until it is gone."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while self.poll(pid)[0] and time.monotonic() < deadline:
            time.sleep(0.05)

    def interrupt(self, pid: int, how: str, grace_s: float) -> None:
        """A spot reclaim, for fault injection: SIGTERM then SIGKILL after the grace period,
        SIGKILL outright, or SIGSTOP (a hung machine that only heartbeat loss reveals)."""
        if how == "sigterm":
            self.terminate(pid, grace_s)
        elif how == "sigkill":
            self.kill(pid)
        elif how == "sigstop":
            try:
                os.killpg(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        else:
            raise ValueError(f"unknown interruption {how!r}")
