"""The deployment files agree with the code they deploy.

docker-compose.yml runs every service with the settings it needs and bakes in no secret;
infra/nats/streams.json is exactly what libs/common/bus.py declares, so the two cannot drift.
That `docker compose` itself accepts the file is checked in
tests/integration/test_compose_config.py (it runs a subprocess).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from libs.common.bus import DUPLICATE_WINDOW_S, STREAMS
from libs.common.settings import Settings
from services.gateway.access import keys_required

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
STREAMS_FILE = ROOT / "infra" / "nats" / "streams.json"

REQUIRED_SETTINGS = (
    "BRIGHTRUN_NATS_URL",
    "BRIGHTRUN_DATABASE_URL",
    "BRIGHTRUN_STORAGE_URL",
    "BRIGHTRUN_WEBHOOK_SECRET",
    "BRIGHTRUN_GATEWAY_URL",
)
INFRASTRUCTURE = ("nats", "postgres", "minio")
# A secret comes from the host's environment with no fallback value: `${NAME:?message}`.
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$")
# An optional secret (the judge's key: no judge means blind review) bakes nothing in: empty fallback.
OPTIONAL_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:-\}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|(^|_)KEY$", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://(?:\$\{[^}]*\}|[^:/@\s]*):(?P<password>\$\{[^}]*\}|[^@/\s]*)@")


# --- reading the compose file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def platform_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compose services that run `python -m services.<name>` from the platform image."""
    return {
        name: service for name, service in compose["services"].items()
        if command_of(service)[:1] and command_of(service)[0].startswith("services.")
    }


def services_with_an_app() -> set[str]:
    return {path.parent.name for path in (ROOT / "services").glob("*/app.py")}


def baked_secrets(env: dict[str, str]) -> list[str]:
    """The entries of `env` that carry a secret not taken from a required host variable."""
    found = []
    for key, value in env.items():
        if SECRET_NAME.search(key) and not (REQUIRED_VARIABLE.match(value)
                                            or OPTIONAL_VARIABLE.match(value)):
            found.append(key)
        for match in URL_PASSWORD.finditer(value):
            if not REQUIRED_VARIABLE.match(match["password"]):
                found.append(f"{key} (password in URL)")
    return found


# --- compose --------------------------------------------------------------------------------------


def test_every_service_with_an_app_runs_in_compose_and_nothing_else_does(compose):
    running = {name: command_of(service) for name, service in platform_services(compose).items()}

    assert set(running) == services_with_an_app()
    for name, command in running.items():
        assert command == [f"services.{name}"], f"compose service {name!r} runs {command}"


def test_every_platform_service_sets_the_bus_database_storage_gateway_and_secret(compose):
    for name, service in platform_services(compose).items():
        env = environment_of(service)
        missing = [key for key in REQUIRED_SETTINGS if not env.get(key)]
        assert not missing, f"compose service {name!r} does not set {missing}"


def test_platform_services_wait_for_healthy_infrastructure_and_restart(compose):
    for name, service in platform_services(compose).items():
        depends_on = service.get("depends_on") or {}
        for dependency in INFRASTRUCTURE:
            condition = (depends_on.get(dependency) or {}).get("condition")
            assert condition == "service_healthy", f"{name!r} does not wait for {dependency!r}"
        assert service.get("restart") == "unless-stopped", name
    for dependency in INFRASTRUCTURE:
        assert compose["services"][dependency].get("healthcheck"), f"{dependency!r} has no healthcheck"


def test_the_gateway_listens_on_all_interfaces_and_publishes_8400(compose):
    gateway = compose["services"]["gateway"]

    assert environment_of(gateway)["BRIGHTRUN_GATEWAY_HOST"] == "0.0.0.0"
    assert any(str(port).endswith("8400:8400") for port in gateway.get("ports", []))


def test_the_gateway_in_compose_requires_api_keys(compose):
    """Issue 15: an open port is not acceptable; compose says so beyond what 0.0.0.0 implies."""
    env = environment_of(compose["services"]["gateway"])
    # What compose makes of `${NAME:-default}` when NAME is unset.
    env = {key: re.sub(r"\$\{[A-Za-z_]\w*:-([^}]*)\}", r"\1", value) for key, value in env.items()}
    settings = Settings.from_env(env)
    assert settings.require_api_keys and keys_required(settings)


def test_no_secret_is_baked_into_the_compose_file(compose):
    for name, service in compose["services"].items():
        assert not baked_secrets(environment_of(service)), f"compose service {name!r}"


def test_the_secret_check_catches_literals_and_fallback_values():
    env = {
        "BRIGHTRUN_WEBHOOK_SECRET": "dev-only-secret-change-me",
        "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:-hunter2}",
        "BRIGHTRUN_JUDGE_API_KEY": "${BRIGHTRUN_JUDGE_API_KEY:-sk-live-123}",
        "BRIGHTRUN_STORAGE_URL": "s3://${MINIO_ROOT_USER:?set it}:minio123@minio:9000/b",
        "BRIGHTRUN_DATABASE_URL": "postgresql://brightrun:${POSTGRES_PASSWORD:?set it}@postgres/db",
    }

    assert baked_secrets(env) == [
        "BRIGHTRUN_WEBHOOK_SECRET", "POSTGRES_PASSWORD", "BRIGHTRUN_JUDGE_API_KEY",
        "BRIGHTRUN_STORAGE_URL (password in URL)",
    ]
    assert baked_secrets({"BRIGHTRUN_JUDGE_API_KEY": "${BRIGHTRUN_JUDGE_API_KEY:-}"}) == []


# --- JetStream streams ----------------------------------------------------------------------------


def test_streams_file_declares_exactly_the_streams_the_services_declare():
    document = json.loads(STREAMS_FILE.read_text())
    streams = document["streams"]

    assert [(s["name"], s["subjects"]) for s in streams] == list(STREAMS.items())
    assert document["duplicate_window_s"] == DUPLICATE_WINDOW_S
    for stream in streams:
        assert stream["duplicate_window"] == int(DUPLICATE_WINDOW_S * 1_000_000_000), stream["name"]
        assert stream["storage"] == "file", stream["name"]
        assert stream["retention"] == "limits", stream["name"]

