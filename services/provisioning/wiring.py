"""Which provider runs training.

`BRIGHTRUN_PROVIDER=local` (the default): every job is a trainer subprocess here.
`BRIGHTRUN_PROVIDER=runpod`: jobs with a GPU type get a RunPod pod; CPU jobs stay local.
Either way the service answers `rpc.provisioning.gpu_prices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from libs.common.batches import one_by_one
from libs.common.bus import rpc
from libs.common.runtime import ServiceRuntime
from libs.common.settings import Settings
from proto.jobs import JobQueued
from proto.provisioning import GetGpuPrices
from proto.training import TrainingEventReported
from services.provisioning import gpu_prices, pods
from services.provisioning.domain import pod_reachability_error
from services.provisioning.gpu_prices import PriceBook
from services.provisioning.providers import PodProvider
from services.provisioning.reconciler import OrphanReconciler
from services.provisioning.runpod_provider import RunPodProvider


@dataclass
class RunPodWiring:
    """What app.py needs to hand a RunPod job over."""

    runtime: ServiceRuntime
    provider: PodProvider
    prices: PriceBook

    async def on_job_queued(self, event: JobQueued) -> None:
        await pods.on_job_queued(event, self.runtime.uow, self.provider, self.prices,
                                 self.runtime.settings)


def wire_runpod(runtime: ServiceRuntime, settings: Settings) -> RunPodWiring | None:
    """Serve GPU prices; with the RunPod provider selected, also watch pods and trainer reports."""
    if settings.provider not in ("local", "runpod"):
        raise ValueError(f"BRIGHTRUN_PROVIDER={settings.provider!r}: use 'local' or 'runpod'.")
    if settings.provider != "runpod":
        @rpc(runtime.broker, GetGpuPrices)
        async def local_gpu_prices(_: GetGpuPrices) -> dict[str, Any]:
            return {"gpu_types": gpu_prices.local_rows(settings.simulate_gpus_locally),
                    "stale": False, "fetched_at": None,
                    "notice": "Training runs on this machine (BRIGHTRUN_PROVIDER=local)."}
        return None

    if (unreachable := pod_reachability_error(settings)) is not None:
        raise unreachable  # at start-up: no job should learn it by never reporting
    provider = RunPodProvider(settings.runpod_api_key, settings.runpod_api_url,
                              settings.runpod_trainer_image, settings.runpod_cloud_type,
                              settings.runpod_image_cuda, settings.runpod_registry_auth_id)
    prices = gpu_prices.PriceBook(provider, runtime.uow, settings.gpu_price_ttl_s)
    watcher = pods.PodWatcher(runtime.uow, provider, settings)

    @rpc(runtime.broker, GetGpuPrices)
    async def runpod_gpu_prices(_: GetGpuPrices) -> dict[str, Any]:
        return await prices.current()

    # Only Completed/Failed matter here; the rest are skipped without a transaction.
    runtime.batches(TrainingEventReported.subject, "provisioning-on-trainer-event",
                    TrainingEventReported.unwrap,
                    one_by_one(lambda event: pods.on_trainer_event(event, runtime.uow)))

    runtime.background(watcher.run, once=True)  # one replica watches the pods
    reconciler = OrphanReconciler(runtime.uow, provider, settings.runpod_reconcile_s,
                                  settings.runpod_orphan_grace_s)

    async def reconcile_orphan_pods() -> None:  # its own name: the lease is named after it
        await reconciler.run()
    runtime.background(reconcile_orphan_pods, once=True)
    return RunPodWiring(runtime, provider, prices)
