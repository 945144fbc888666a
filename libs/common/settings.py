"""Settings from the environment: one prefix, `BRIGHTRUN_`, one typed struct."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

import msgspec


class Settings(msgspec.Struct, kw_only=True):
    state_dir: str = ".state"
    nats_url: str = "nats://127.0.0.1:4222"  # a cluster: its servers' URLs, comma-separated
    # Copies JetStream keeps of each stream it creates (3 on a three-node cluster: one node may
    # go down without losing a message); an existing stream keeps what an operator gave it.
    nats_stream_replicas: int = 1
    database_url: str = ""
    storage_url: str = ""  # empty: a local directory under the state dir
    # What a trainer is given to reach storage: "scoped", the gateway's job-storage routes with a
    # grant for its own files only (libs/common/storage_grants.py), or "direct", the store's URL
    # with its keys. "auto": scoped on RunPod pods (machines we do not own), direct for a trainer
    # run on this machine.
    trainer_storage: Literal["auto", "scoped", "direct"] = "auto"
    gateway_url: str = "http://127.0.0.1:8400"  # what the trainer posts webhooks to
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8400
    webhook_secret: str = "dev-only-secret-change-me"
    # Issue 15 ("Doors"): API keys are required on /api/v1 and /v1 whenever gateway_host is not a
    # loopback address, or when this forces it (docker-compose does). services/gateway/access.py.
    require_api_keys: bool = False
    api_key_hash_secret: str = ""  # keys the stored hashes (services/jobs/api_keys.py); optional
    api_key_cache_s: float = 5.0  # a key's verification is reused this long: revocation's delay
    uploads_per_minute: int = 30  # per API key, on POST /api/v1/training-files and /v1/files
    log_level: str = "INFO"
    python: str = sys.executable
    min_conversations: int = 50
    rpc_timeout_s: float = 10.0
    local_max_concurrent_jobs: int = 4
    # UJ4.1.1: a trainer silent this long (it beats every 5 s) is taken as lost and recovered.
    heartbeat_timeout_s: float = 20.0
    # UJ3.2.2 / UJ6.3.2: alert thresholds, percent of a job's estimate and of the monthly limit.
    cost_alert_thresholds_pct: str = "80,100,120"
    budget_alert_thresholds_pct: str = "80,95"
    cost_tick_s: float = 15.0  # how often running jobs' spend is re-checked between events
    time_model_poll_s: float = 5.0  # how soon a cost replica sees another's refit of the model
    # Issue 15: a budget reservation no job was created for (the creation failed after reserving)
    # is released after this long; a job's own reservation is released when it is settled.
    budget_reservation_ttl_s: float = 300.0
    # Where training runs: "local" (a subprocess here) or "runpod" (GPU pods, jobs with a GPU type).
    provider: str = "local"
    # Local provider only: jobs may carry `fault_injection` (simulated spot reclaims) for demos
    # and tests. Off unless an operator turns it on; never in docker-compose.
    allow_fault_injection: bool = False
    # Tests and demos only: GPU-typed jobs run on the local provider, priced as that GPU. Off, a
    # GPU job needs a GPU provider (RunPod) and is refused at creation without one.
    simulate_gpus_locally: bool = False
    runpod_api_key: str = ""
    runpod_api_url: str = "https://api.runpod.io"  # the SDK posts GraphQL to <url>/graphql
    runpod_trainer_image: str = "ghcr.io/brightrun/brightrun-trainer:latest"
    runpod_cloud_type: str = "ALL"  # ALL, SECURE or COMMUNITY
    runpod_poll_s: float = 5.0  # pod status polls; UJ2.1.1 wants changes visible within 10 s
    runpod_start_timeout_s: float = 900.0  # a pod not booted by then is given up (UJ2.1.1)
    runpod_bid_headroom_pct: float = 10.0  # spot bid above the current minimum bid
    # Pods named for the platform that no instance owns are terminated: listed this often,
    # and a pod whose instance is still creating it is left alone this long.
    runpod_reconcile_s: float = 60.0
    runpod_orphan_grace_s: float = 600.0
    # A private trainer image: the id of the registry credential saved in RunPod's console
    # (Settings > Container Registry Auth), sent as the pod's containerRegistryAuthId.
    runpod_registry_auth_id: str = ""
    # The CUDA build of the trainer image's torch (infra/images/trainer.Dockerfile CUDA_VERSION):
    # pods go only to hosts whose driver runs it (allowedCudaVersions).
    runpod_image_cuda: str = "12.8"
    gpu_price_ttl_s: float = 300.0  # RunPod prices are fetched at most this often
    # UJ2.1.2: with no GPU to rent, "auto-retry every 5 minutes (up to 1 hour)".
    gpu_retry_interval_s: float = 300.0
    gpu_retry_limit_s: float = 3600.0
    # Notifications (UJ5.1.2): the SMTP server email goes through; Slack URLs are preferences.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "Bright Run <brightrun@localhost>"
    smtp_username: str = ""  # empty: no AUTH
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout_s: float = 20.0
    notification_retry_base_s: float = 2.0  # backoff between delivery retries: 1×, 2×, 4× this
    # Where Slack webhooks may point (issue 15: no requests to internal addresses): hosts reached
    # over https, or "http://host" entries an operator adds for a relay of their own.
    slack_webhook_hosts: str = "hooks.slack.com"
    # Validation (issue 12): an OpenAI-compatible chat-completions endpoint scores EI and brand
    # voice; an empty URL means no judge, and reviewers score blind instead.
    judge_url: str = ""  # e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1
    judge_model: str = ""
    judge_api_key: str = ""
    judge_timeout_s: float = 60.0
    judge_max_tries: int = 3  # per call, with backoff judge_retry_base_s × 1, 2, 4…
    judge_retry_base_s: float = 1.0
    judge_concurrency: int = 4  # scenarios judged at once
    review_lease_s: float = 900.0  # how long an item stays with the reviewer who opened it

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
