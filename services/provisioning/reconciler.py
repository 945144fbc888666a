"""The orphan reconciler: RunPod's pods named for the platform, matched with the instances it
tracks. A pod no instance owns (a create that answered an error but made the pod; a crash
between create and commit) is terminated, and reported once so cost bills the time it ran.

Nothing else ends such a pod: the watcher polls only the pods its rows name. Every pass lists
the account's pods once (one API call), so a pass every minute finds an orphan within minutes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from libs.common.outbox import UnitOfWork
from proto.provisioning import OrphanPodTerminated
from services.provisioning.domain import is_orphan, parse_pod_name
from services.provisioning.providers import PodProvider
from services.provisioning.repository import Instances
from services.provisioning.runpod_provider import POD_NAME_PREFIX, ProviderError

log = logging.getLogger(__name__)


class OrphanReconciler:
    def __init__(self, uow: UnitOfWork, provider: PodProvider, interval_s: float,
                 create_grace_s: float) -> None:
        self.uow, self.provider = uow, provider
        self.interval_s, self.create_grace_s = interval_s, create_grace_s

    async def run(self) -> None:
        while True:
            try:
                await self.reconcile_once()
            except ProviderError as exc:  # RunPod's API hiccups: the next pass asks again
                log.warning("orphan reconciliation skipped: %s", exc)
            await asyncio.sleep(self.interval_s)

    async def reconcile_once(self) -> list[str]:
        """Terminate this pass's orphans; their pod ids."""
        pods = await asyncio.to_thread(self.provider.platform_pods)
        named = {pod_id: key for pod_id, name, phase in pods if phase != "gone"
                 and (key := parse_pod_name(name, POD_NAME_PREFIX)) is not None}
        async with self.uow() as work:
            owners = await Instances(work.conn).owners(sorted(set(named.values())))
        now = dt.datetime.now(dt.UTC)
        orphans = [(pod_id, owners[key]) for pod_id, key in named.items()
                   if is_orphan(pod_id, owners.get(key), now, self.create_grace_s)]
        for pod_id, owner in orphans:
            await self._terminate(pod_id, owner)
        return [pod_id for pod_id, _ in orphans]

    async def _terminate(self, pod_id: str, owner: dict[str, Any]) -> None:
        log.warning("terminating orphan pod %s of job %s attempt %s (instance %s)", pod_id,
                    owner["job_id"], owner["attempt"], owner["status"])
        await asyncio.to_thread(self.provider.terminate, pod_id)
        async with self.uow() as work:
            if await Instances(work.conn).orphan_terminated(pod_id, owner["job_id"],
                                                            owner["attempt"]):
                work.emit(OrphanPodTerminated(
                    job_id=owner["job_id"], attempt=owner["attempt"], pod_id=pod_id,
                    instance_id=owner["instance_id"], started_at=owner["created_at"]))
