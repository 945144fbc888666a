"""Settings from the environment: one prefix, `BRIGHTRUN_`, one typed struct."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, kw_only=True):
    state_dir: str = ".state"
    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str = ""
    storage_url: str = ""  # empty: a local directory under the state dir
    gateway_url: str = "http://127.0.0.1:8400"  # what the trainer posts webhooks to
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8400
    webhook_secret: str = "dev-only-secret-change-me"
    log_level: str = "INFO"
    python: str = sys.executable
    min_conversations: int = 50
    rpc_timeout_s: float = 10.0
    local_max_concurrent_jobs: int = 4

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir).resolve()

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.state_path / "objects").as_uri()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        fields = {
            name: env[f"BRIGHTRUN_{name.upper()}"]
            for name in cls.__struct_fields__
            if f"BRIGHTRUN_{name.upper()}" in env
        }
        return msgspec.convert(fields, cls, strict=False)

    def to_env(self) -> dict[str, str]:
        return {f"BRIGHTRUN_{k.upper()}": str(v) for k, v in msgspec.structs.asdict(self).items()}
