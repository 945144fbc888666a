"""The `brightrun` command: bring the embedded stack up or down, and run the demo."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from services.cli import keys
from services.cli.stack import Stack


def _state_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir or os.environ.get("BRIGHTRUN_STATE_DIR", ".state"))


def cmd_up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings = Stack(_state_dir(args)).up(gateway_port=args.port)
    print(f"Bright Run is up in {time.monotonic() - started:.1f}s")
    print(f"  console  {settings.gateway_url}/")
    print(f"  API      {settings.gateway_url}/api/v1  (OpenAPI: {settings.gateway_url}/api/v1/schema)")
    print(f"  state    {settings.state_dir}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    Stack(_state_dir(args)).down()
    print("Bright Run is down.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    status = Stack(_state_dir(args)).status()
    if not status:
        print("Bright Run is not running (brightrun up).")
        return 1
    for name, alive in status.items():
        print(f"  {name:<13} {'running' if alive else 'STOPPED'}")
    return 0 if all(status.values()) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from services.cli.demo import run_demo

    return run_demo(_state_dir(args), keep_running=args.keep_running, gateway_port=args.port)


def cmd_keys(args: argparse.Namespace) -> int:
    return keys.cmd_keys(args, _state_dir(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="brightrun", description=__doc__)
    parser.add_argument("--state-dir", help="where all data lives (default .state, or BRIGHTRUN_STATE_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start NATS, PostgreSQL, storage, every service and the gateway")
    up.add_argument("--port", type=int, help="gateway port (default 8400, or a free one)")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop everything cleanly").set_defaults(func=cmd_down)
    sub.add_parser("status", help="which processes are running").set_defaults(func=cmd_status)
    demo = sub.add_parser("demo", help="the whole journey on the sample file, end to end")
    demo.add_argument("--keep-running", action="store_true", help="leave the stack up afterwards")
    demo.add_argument("--port", type=int, help="gateway port")
    demo.set_defaults(func=cmd_demo)
    keys.add_parser(sub).set_defaults(func=cmd_keys)  # issue 15: API keys (services/cli/keys.py)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
