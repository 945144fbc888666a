"""`brightrun keys create|list|revoke`: API keys, asked of the jobs service over the bus.

The bus is the operator's side of the door: it listens on loopback in the embedded stack and on
the compose network in docker-compose (`docker compose exec gateway python -m services.cli keys
create --role admin`), so whoever can run this on the machine may create the first admin key,
and no HTTP route can."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path
from typing import Any

import msgspec
import nats

from libs.common.settings import Settings
from proto.access import ROLES, ApiKeyView, CreateApiKey, CreatedApiKey, ListApiKeys, RevokeApiKey
from proto.api import Reply, ServiceError
from proto.base import encode
from services.cli.stack import Stack


def stack_settings(state_dir: Path) -> Settings:
    """The running embedded stack's settings (its manifest), else the environment's (compose)."""
    info = Stack(state_dir).info()
    return Settings.from_env(info["env"]) if info else Settings.from_env()


async def _quiet(_: Exception) -> None:
    pass


async def ask(settings: Settings, request: Any, timeout_s: float = 10.0) -> Any:
    try:
        # Bounded: nats-py retries a first connection that is refused; an error callback of our
        # own keeps its tracebacks off the terminal (the message below says what is wrong).
        nc = await asyncio.wait_for(nats.connect(settings.nats_url, connect_timeout=2,
                                                 allow_reconnect=False, error_cb=_quiet), 5)
    except Exception as exc:
        raise ServiceError("bus_unreachable", f"Cannot reach NATS at {settings.nats_url}.",
                           "Start Bright Run first (brightrun up), or run this where the "
                           "services run (docker compose exec gateway ...).", status=503) from exc
    try:
        response = await nc.request(type(request).subject, encode(request), timeout=timeout_s)
    except Exception as exc:  # no responders, timeout
        raise ServiceError("service_unavailable", "The jobs service did not answer.",
                           "Check that every service is running (brightrun status).",
                           status=503) from exc
    finally:
        await nc.close()
    reply = msgspec.json.decode(response.data, type=Reply)
    if not reply.ok:
        raise ServiceError(**msgspec.structs.asdict(reply.error))
    return reply.result


def _when(value: Any) -> str:
    return str(value)[:19].replace("T", " ") if value else "-"


def print_keys(keys: list[ApiKeyView]) -> None:
    if not keys:
        print("No API keys yet (brightrun keys create --role admin).")
        return
    print(f"{'ID':<36}  {'PREFIX':<12}  {'ROLE':<6}  {'CREATED':<19}  {'LAST USED':<19}  "
          f"{'REVOKED':<19}  NAME")
    for k in keys:
        print(f"{k.id!s:<36}  {k.prefix:<12}  {k.role:<6}  {_when(k.created_at):<19}  "
              f"{_when(k.last_used_at):<19}  {_when(k.revoked_at):<19}  {k.name}")


async def _resolve(settings: Settings, given: str) -> uuid.UUID:
    """A key's id, or the prefix `keys list` shows (brk_xxxxxxxx) when it names one key."""
    try:
        return uuid.UUID(given)
    except ValueError:
        keys = msgspec.convert(await ask(settings, ListApiKeys()), list[ApiKeyView])
        found = [k.id for k in keys if k.prefix.startswith(given) or str(k.id).startswith(given)]
        if len(found) != 1:
            raise ServiceError("api_key_not_found", f"{len(found)} keys match {given!r}.",
                               "Give the key's full id from `brightrun keys list`.", status=404) from None
        return found[0]


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.keys_command == "create":
        created = msgspec.convert(
            await ask(settings, CreateApiKey(role=args.role, name=args.name or "")), CreatedApiKey)
        print(created.key)
        print(f"  id {created.api_key.id}, role {created.api_key.role}. This is the only time the "
              "key is shown: only its hash is stored.", flush=True)
    elif args.keys_command == "list":
        print_keys(msgspec.convert(await ask(settings, ListApiKeys(include_revoked=args.all)),
                                   list[ApiKeyView]))
    else:
        revoked = msgspec.convert(
            await ask(settings, RevokeApiKey(key_id=await _resolve(settings, args.id))), ApiKeyView)
        print(f"Revoked {revoked.id} ({revoked.prefix}, {revoked.role}); the gateway refuses it "
              f"within {settings.api_key_cache_s:g} s.")
    return 0


def cmd_keys(args: argparse.Namespace, state_dir: Path) -> int:
    try:
        return asyncio.run(run(args, stack_settings(state_dir)))
    except ServiceError as exc:
        print(f"error: {exc.error.message}\n  how to fix: {exc.error.how_to_fix}")
        return 1


def add_parser(sub: Any) -> argparse.ArgumentParser:
    keys = sub.add_parser("keys", help="API keys for the gateway: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--role", choices=ROLES, required=True,
                        help="admin: everything; member: all but budget and keys; viewer: reads")
    create.add_argument("--name", help="what the key is for, shown in `keys list`")
    listing = keys_sub.add_parser("list", help="the keys, never their secrets")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    revoke = keys_sub.add_parser("revoke", help="revoke a key for good")
    revoke.add_argument("id", help="the key's id (or its prefix from `keys list`)")
    return keys
