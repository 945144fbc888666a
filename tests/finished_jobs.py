"""Test-side: drive a created job to Completed with real trainer events (the jobs service's
lifecycle, monitoring's metrics and cost's accounting all consume them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from support import eventually

from proto.jobs import GetJob
from proto.provisioning import InstanceExited, InstanceStarted
from proto.training import Completed, Evaluation, Progress, StageChanged, TrainingEventReported


async def status_is(bus, job_id: uuid.UUID, status: str) -> dict | None:
    job = await bus.ask(GetJob(job_id=job_id))
    return job if job["status"] == status else None


async def finish_job(bus, job_id: uuid.UUID | str, train_losses: Sequence[float] = (2.0, 1.5),
                     val_losses: Sequence[float] = ()) -> dict:
    """Start the job's instance, report one Progress per training loss (steps 1..n) and one
    Evaluation per validation loss (spread over the same steps), then Completed and exit."""
    job_id = uuid.UUID(str(job_id))
    await bus.publish(InstanceStarted(job_id=job_id, attempt=1, instance_id=f"i-{job_id}",
                                      provider="local"))
    await eventually(lambda: status_is(bus, job_id, "provisioning"))
    n = len(train_losses)
    events: list = [StageChanged(job_id=job_id, stage="preprocessing", seq=1),
                    StageChanged(job_id=job_id, stage="model_loading", seq=2)]
    for i, loss in enumerate(train_losses, start=1):
        events.append(Progress(job_id=job_id, step=i, total_steps=n, epoch=i / n, loss=loss,
                               learning_rate=1e-4, seq=len(events) + 1))
    for i, val in enumerate(val_losses, start=1):
        step = max(1, round(i * n / len(val_losses)))
        events.append(Evaluation(job_id=job_id, step=step, epoch=step / n, val_loss=val,
                                 perplexity=2.718281828 ** val, seq=len(events) + 1))
    events.append(Completed(job_id=job_id, adapter_key=f"jobs/{job_id}/adapter", steps=n,
                            final_loss=train_losses[-1],
                            final_val_loss=val_losses[-1] if val_losses else None,
                            seq=len(events) + 1))
    for event in events:
        await bus.publish(TrainingEventReported(event=event))
    done = await eventually(lambda: status_is(bus, job_id, "completed"))
    await bus.publish(InstanceExited(job_id=job_id, attempt=1, instance_id=f"i-{job_id}",
                                     exit_code=0))
    return done
