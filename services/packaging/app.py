"""Packaging service wiring (stage 6): artifacts, deployment package, reports, shares.

Other modules of this service (report/, shares, comparisons) register their subscribers in
`build` below, each in its own block.
"""

from __future__ import annotations

from pathlib import Path

from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("packaging", settings, Path(__file__).with_name("migrations"))
    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
