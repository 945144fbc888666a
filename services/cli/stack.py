"""The embedded stack: NATS, PostgreSQL, object storage and every service, on loopback.

Everything lives under one state directory; `stack.json` there records what is running so
`down` and `status` can find it, and a second `up` finds its data again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats
import psutil

from libs.common.embedded.nats import EmbeddedNats
from libs.common.embedded.postgres import EmbeddedPostgres
from libs.common.ports import free_port
from libs.common.services import SERVICES, ping_subject
from libs.common.settings import Settings

DEFAULT_GATEWAY_PORT = 8400
TRAINER_GRACE_S = 60.0  # one CPU step of the embedded model, then its checkpoint


def _alive(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Stack:
    def __init__(self, state_dir: Path, durable: bool = True) -> None:
        self.state_dir = state_dir.resolve()
        self.durable = durable  # tests turn fsync off
        self.manifest = self.state_dir / "stack.json"
        self.logs = self.state_dir / "logs"

    # --- up ----------------------------------------------------------------------------------

    def up(self, overrides: dict[str, str] | None = None, gateway_port: int | None = None,
           quiet: bool = False) -> Settings:
        running = self.running()
        if running is not None:
            return running
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **(overrides or {})}
        pids: dict[str, int] = {}
        settings = Settings.from_env(env)
        settings.state_dir = str(self.state_dir)
        if "BRIGHTRUN_NATS_URL" not in env:
            nats_server = EmbeddedNats(self.state_dir / "nats")
            pids["nats"] = nats_server.start(self.logs / "nats.log", detach=True)
            settings.nats_url = nats_server.url
        if "BRIGHTRUN_DATABASE_URL" not in env:
            postgres = EmbeddedPostgres(self.state_dir / "postgres", durable=self.durable)
            pids["postgres"] = postgres.start()
            settings.database_url = postgres.url
        settings.webhook_secret = env.get("BRIGHTRUN_WEBHOOK_SECRET") or self._secret()
        port = gateway_port or (DEFAULT_GATEWAY_PORT if _port_free(DEFAULT_GATEWAY_PORT) else free_port())
        settings.gateway_port = port
        settings.gateway_url = env.get("BRIGHTRUN_GATEWAY_URL") or f"http://127.0.0.1:{port}"
        for name in [*SERVICES, "gateway"]:
            pids[name] = self._spawn(name, settings, env)
        self._write(settings, pids)
        self.wait_ready(settings)
        return settings

    def _secret(self) -> str:
        path = self.state_dir / "webhook-secret"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def _spawn(self, name: str, settings: Settings, env: dict[str, str],
               log_name: str | None = None) -> int:
        log = open(self.logs / f"{log_name or name}.log", "ab")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env={**env, **settings.to_env()}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        return process.pid

    def restart_service(self, name: str) -> int:
        """Start one service again (after a crash or a kill), with the stack's settings."""
        info = json.loads(self.manifest.read_text())
        pid = self._spawn(name, Settings.from_env(info["env"]), {**os.environ})
        return self._record_pid(info, name, pid)

    def add_replica(self, name: str) -> int:
        """Start one more replica of a service (`<name>#<n>` in the manifest), with the stack's
        settings; a gateway replica listens on a port of its own."""
        info = json.loads(self.manifest.read_text())
        settings = Settings.from_env(info["env"])
        if name == "gateway":
            settings.gateway_port = free_port()
            info.setdefault("gateways", []).append(f"http://127.0.0.1:{settings.gateway_port}")
        count = sum(1 for key in info["pids"] if key.split("#")[0] == name)
        pid = self._spawn(name, settings, {**os.environ}, log_name=f"{name}-{count + 1}")
        return self._record_pid(info, f"{name}#{count + 1}", pid)

    def gateway_urls(self) -> list[str]:
        """The first gateway's URL, then those of the replicas add_replica started."""
        info = json.loads(self.manifest.read_text())
        return [Settings.from_env(info["env"]).gateway_url, *info.get("gateways", [])]

    def wait_replicas(self, timeout_s: float = 180.0) -> None:
        """Until every replica add_replica started is up: a service's log says it started, a
        gateway answers /healthz."""
        deadline = time.monotonic() + timeout_s
        for key in json.loads(self.manifest.read_text())["pids"]:
            name, _, n = key.partition("#")
            log = self.logs / f"{name}-{n}.log"
            while n and name != "gateway" and f'"{name} started"' not in log.read_text():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"replica {key} did not start; see {log}")
                time.sleep(0.5)
        for url in self.gateway_urls():
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

    def restart_nats(self, down_s: float = 0.0) -> int:
        """Stop the embedded NATS server and start it again on its port and store, as an
        operator's restart or upgrade does; every client rides it out by reconnecting."""
        info = json.loads(self.manifest.read_text())
        _signal(info["pids"]["nats"], signal.SIGTERM)  # graceful: JetStream flushes its store
        _wait_gone([info["pids"]["nats"]], 20.0)
        time.sleep(down_s)
        port = int(Settings.from_env(info["env"]).nats_url.rsplit(":", 1)[1])
        server = EmbeddedNats(self.state_dir / "nats", port)
        return self._record_pid(info, "nats", server.start(self.logs / "nats.log", detach=True))

    def _record_pid(self, info: dict, name: str, pid: int) -> int:
        info["pids"][name] = pid
        self.manifest.write_text(json.dumps(info, indent=2))
        return pid

    def _write(self, settings: Settings, pids: dict[str, int]) -> None:
        self.manifest.write_text(json.dumps({"env": settings.to_env(), "pids": pids}, indent=2))
        self.manifest.chmod(0o600)

    def wait_ready(self, settings: Settings, timeout_s: float = 90.0) -> None:
        asyncio.run(self._wait_services(settings, timeout_s))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{settings.gateway_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"the gateway did not answer; see {self.logs / 'gateway.log'}")

    async def _wait_services(self, settings: Settings, timeout_s: float) -> None:
        nc = await nats.connect(settings.nats_url.split(","))  # one URL, or a cluster's
        deadline = time.monotonic() + timeout_s
        try:
            for name in SERVICES:
                while True:
                    try:
                        reply = await nc.request(ping_subject(name), b"", timeout=1)
                        if reply.data != b"pong":  # up, but a loop of it keeps failing
                            raise RuntimeError(reply.data.decode())
                        break
                    except Exception as exc:
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"service {name} did not start; see "
                                               f"{self.logs / (name + '.log')}") from exc
                        await asyncio.sleep(0.1)
        finally:
            await nc.close()

    # --- status / down -------------------------------------------------------------------------

    def info(self) -> dict | None:
        return json.loads(self.manifest.read_text()) if self.manifest.exists() else None

    def running(self) -> Settings | None:
        info = self.info()
        if info and all(_alive(pid) for pid in info["pids"].values()):
            return Settings.from_env(info["env"])
        if info:  # a partial stack (crash, reboot): clear it and start clean
            self.down()
        return None

    def status(self) -> dict[str, bool]:
        info = self.info() or {"pids": {}}
        return {name: _alive(pid) for name, pid in info["pids"].items()}

    def down(self, timeout_s: float = 20.0) -> None:
        info = self.info()
        if info is None:
            return
        pids = info["pids"]
        order = ["gateway", *SERVICES]
        order += [key for key in pids if "#" in key]  # replicas added by add_replica
        for name in order:
            _signal(pids.get(name), signal.SIGTERM)
        _wait_gone([pids.get(n) for n in order], timeout_s)
        # Trainers run in sessions of their own (they outlive a provisioning crash), so they
        # are stopped here, after the services: SIGTERM makes them checkpoint, and the next
        # `up` sees a silent job and resumes it from that checkpoint.
        trainers = self.trainer_pids()
        for pid in trainers:
            _signal(pid, signal.SIGTERM)
        _wait_gone(trainers, TRAINER_GRACE_S)
        if "postgres" in pids:
            EmbeddedPostgres(self.state_dir / "postgres").stop()
        _signal(pids.get("nats"), signal.SIGTERM)
        _wait_gone([pids.get("nats")], timeout_s)
        self.manifest.unlink(missing_ok=True)


    def trainer_pids(self) -> list[int]:
        """Session leaders of the trainers the local provider started under this state dir."""
        instances = str(Path(self.state_dir).resolve() / "instances") + os.sep
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = proc.info["cmdline"] or []
            if any(arg.startswith(instances) for arg in cmdline):
                with contextlib.suppress(OSError):
                    if os.getsid(proc.info["pid"]) == proc.info["pid"]:
                        found.append(proc.info["pid"])
        return found


def _signal(pid: int | None, sig: int) -> None:
    if _alive(pid):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _wait_gone(pids: list[int | None], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        _signal(pid, signal.SIGKILL)
