"""Packaging service wiring (stage 6): artifacts, deployment package, reports, shares.

Other modules of this service (report/, shares, comparisons) register their subscribers in
`build` below, each in its own block.
"""

from __future__ import annotations

from pathlib import Path

from libs.common.bus import call, rpc
from libs.common.runtime import ServiceRuntime, run_service
from libs.common.settings import Settings
from libs.common.storage import open_store
from proto.comparisons import CompareJobs, ExportComparison
from services.packaging import comparisons
from services.packaging.artifacts_wiring import register as register_artifacts
from services.packaging.report import wiring as report_wiring


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("packaging", settings, Path(__file__).with_name("migrations"))
    # The artifacts (UJ6.1–6.2): build triggers, the builder loop, downloads, instructions.
    register_artifacts(runtime)
    broker = runtime.broker

    # UJ6.4.1: run comparison (comparisons.py), its inputs asked of the services owning them.
    def ask(request, wait_for_service: bool = True):
        return call(broker, request, settings.rpc_timeout_s, wait_for_service=wait_for_service)

    comparison_store = open_store(settings.resolved_storage_url)

    @rpc(broker, CompareJobs)
    async def compare_jobs(q: CompareJobs):
        return await comparisons.compare_jobs(q, ask)

    @rpc(broker, ExportComparison)
    async def export_comparison(q: ExportComparison):
        return await comparisons.export_comparison(q, ask, comparison_store)

    # The validation report (UJ5.3.1) and its share links (UJ5.3.2): RPCs and the PDF worker.
    report_wiring.register(runtime)
    return runtime


def main() -> None:
    run_service(build)


if __name__ == "__main__":
    main()
