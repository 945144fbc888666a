"""An orphan pod's time is billed: the cost service, on real NATS and PostgreSQL, fed the event
provisioning's reconciler emits when it terminates a pod no instance owned."""

from __future__ import annotations

import uuid
from datetime import timedelta

from support import eventually

from proto.api import ServiceError
from proto.base import utcnow
from proto.cost import GetJobCost
from proto.jobs import JobQueued, JobStatusChanged
from proto.provisioning import InstanceFailedToStart, OrphanPodTerminated
from proto.training import Hyperparameters, LoraSettings, ModelRef
from services.cost.app import build as build_cost


async def final_cost(bus, job_id: uuid.UUID, cents: int) -> dict | None:
    try:
        cost = await bus.ask(GetJobCost(job_id=job_id))
    except ServiceError:  # not known yet: its JobQueued is still on the way
        return None
    return cost if (cost["final"] or {}).get("total_cents") == cents else None


async def test_an_orphan_pods_time_is_billed_even_after_the_job_was_settled(start_service, bus):
    await start_service(build_cost, cost_tick_s=0.2)
    job_id, now = uuid.uuid4(), utcnow()
    estimate = {"hourly_rate_cents": 300, "cost_cents_low": 900, "cost_cents_high": 1_100,
                "tokens_to_train": 10_000}
    await bus.publish(JobQueued(
        job_id=job_id, training_file_key="k", model=ModelRef(), lora=LoraSettings(),
        hyperparameters=Hyperparameters(), gpu_type="H100-80GB", estimate=estimate,
        provider="runpod"))
    # The create answered an error (so: failed to start, nothing billed) but made the pod.
    await bus.publish(InstanceFailedToStart(job_id=job_id, attempt=1, message="Something went "
                                            "wrong. Please try again later or contact support."))
    await bus.publish(JobStatusChanged(job_id=job_id, status="failed"))
    await eventually(lambda: final_cost(bus, job_id, 0))
    orphan = OrphanPodTerminated(job_id=job_id, attempt=1, pod_id="pod-1",
                                 instance_id=f"runpod-{job_id}-1",
                                 started_at=now - timedelta(hours=2), occurred_at=now)
    await bus.publish(orphan)
    cost = await eventually(lambda: final_cost(bus, job_id, 600))  # 2 h at $3.00/h
    [entry] = cost["ledger"]
    assert entry["start_event_id"] == entry["end_event_id"] == str(orphan.event_id)
