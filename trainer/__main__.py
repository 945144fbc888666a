"""`python -m trainer run --spec spec.json`: exit 0 on success, non-zero after reporting Failed."""

from __future__ import annotations

import argparse
import base64
import binascii
import logging
import os
import sys
from pathlib import Path

import msgspec

from proto.trainer_exit import TrainerExit
from trainer import pod_self

SPEC_ENV = "BRIGHTRUN_JOB_SPEC_B64"


def spec_from_environment(path: Path) -> None:
    """A RunPod pod has no file mounted: the provider sends the spec base64-encoded in the
    environment (the SDK cannot quote raw JSON there), and it takes the file's place."""
    encoded = os.environ.get(SPEC_ENV)
    if not encoded:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the secret
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(encoded, validate=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one training job spec (proto.training.TrainingJobSpec)")
    run.add_argument("--spec", type=Path, required=True, help="path to the job spec JSON")
    commands.add_parser("stop-pod", help="on a RunPod pod, terminate it (RUNPOD_POD_ID); the "
                                         "image runs it after `run`, however that ended")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "stop-pod":
        return 0 if pod_self.stop_own_pod() else 1
    try:
        return run_spec(args.spec)
    finally:
        pod_self.stop_own_pod()  # on RunPod only: RunPod would restart an exited trainer


def run_spec(spec: Path) -> int:
    from trainer import recipe  # after arg parsing: `--help` should not wait for torch

    try:
        spec_from_environment(spec)
        recipe.load_spec(spec)
    except (OSError, binascii.Error, msgspec.DecodeError, msgspec.ValidationError) as exc:
        # No valid spec means no webhook to report to: say it here, plainly.
        print(f"cannot read job spec {spec}: {exc}", file=sys.stderr)
        return TrainerExit.BAD_SPEC
    return recipe.main(spec)


if __name__ == "__main__":
    sys.exit(main())
