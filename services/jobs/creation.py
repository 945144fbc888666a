"""Issue 15, UJ6.3.2: a new job, retried or resumed job is estimated by the cost service and
its estimate's high end reserved against the budget before it exists, then created carrying the
reservation: the budget check and the job's acceptance are one step, owned here and by the cost
service, not by whoever asks (the gateway, /v1, the CLI).

Asking the cost service from a jobs RPC handler does not deadlock: its estimate asks this service
for the training file on another subject (rpc.jobs.get_training_file), served by its own
subscriber while this one waits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from libs.common.outbox import UnitOfWork
from libs.common.storage import ObjectStore
from proto.cost import EstimateJob, EstimateQuery, ReleaseReservation, ReserveBudget
from proto.jobs import CreateJob, HyperparameterOverrides, JobView, ResumeJob, RetryJob
from proto.presets import resolve
from services.jobs import handlers, lineage, training_sets
from services.jobs.admission import Platform, check_new_job

log = logging.getLogger(__name__)

Ask = Callable[[Any], Awaitable[Any]]  # libs.common.bus.call bound to this service's broker
T = TypeVar("T")


async def reserved(ask: Ask, estimate: dict[str, Any], job_name: str,
                   create: Callable[[uuid.UUID], Awaitable[T]],
                   parent_job_id: uuid.UUID | None = None) -> T:
    """The cost service holds the estimate's high end against the month (or refuses with
    `budget_exceeded` / `job_cap_exceeded`), then the job is created carrying the reservation.
    A creation that fails hands it back at once; should that fail too, the cost service
    releases a reservation no job was created for after a few minutes."""
    reservation_id = uuid.uuid4()
    await ask(ReserveBudget(reservation_id=reservation_id, job_name=job_name,
                            estimate_cents=estimate["cost_cents_high"],
                            parent_job_id=parent_job_id))
    try:
        return await create(reservation_id)
    except Exception:
        try:
            await ask(ReleaseReservation(reservation_id=reservation_id))
        except Exception:
            log.warning("reservation %s not released now; the cost service's sweeper will",
                        reservation_id, exc_info=True)
        raise


async def create_job(cmd: CreateJob, uow: UnitOfWork, platform: Platform, ask: Ask) -> JobView:
    """What this installation refuses outright is refused before any budget is held; an
    ineligible file is found in the creating transaction, and hands its reservation back."""
    check_new_job(platform, cmd.gpu_type, cmd.gpu_count, cmd.fault_injection)
    resolve(cmd.preset, cmd.overrides)
    async with uow() as work:  # a set trains on its combined file, estimated as such
        file_id = await training_sets.training_file_id_for(cmd, work.conn)
    fields = {name: getattr(cmd, name) for name in EstimateQuery.__struct_fields__}
    estimate = await ask(EstimateJob(**{**fields, "training_file_id": file_id}))
    return await reserved(ask, estimate, cmd.name or "", lambda reservation_id:
                          handlers.create_job(cmd, uow, platform, estimate, reservation_id))


async def _linked_estimate(ask: Ask, parent: dict[str, Any], planned: dict[str, Any],
                           resume_from_step: int = 0) -> dict[str, Any]:
    """The estimate for the new configuration; for a resume, for the steps left after its
    checkpoint (UJ4.3.2)."""
    settings = {**planned["hyperparameters"], **planned["lora"]}
    overrides = {k: v for k, v in settings.items() if k in HyperparameterOverrides.__struct_fields__}
    return await ask(EstimateJob(
        training_file_id=parent["training_file_id"], preset=parent["preset"],
        overrides=msgspec.convert(overrides, HyperparameterOverrides),
        gpu_type=planned["gpu_type"], gpu_count=parent["gpu_count"], pricing=planned["pricing"],
        model=parent["model"], resume_from_step=resume_from_step))


async def _planned_then_created(ask: Ask, linked: lineage.Linked, dry_run: bool,
                                resume_from_step: int = 0) -> dict[str, Any] | JobView:
    estimate = await _linked_estimate(ask, linked.parent, linked.planned, resume_from_step)
    if dry_run:  # UJ4.3.2: the dialog shows what the steps left will take and cost
        return {**linked.answer, "estimate": estimate}
    # UJ6.3.2: a linked job is a new job, refused like one when its estimate does not fit the
    # month's budget or what its parents left of the per-job cap, and held like one.
    return await reserved(ask, estimate, linked.name, lambda reservation_id:
                          linked.create(estimate, reservation_id),
                          parent_job_id=linked.parent["id"])


async def retry_job(cmd: RetryJob, uow: UnitOfWork, platform: Platform, ask: Ask
                    ) -> dict[str, Any] | JobView:
    linked = await lineage.retry_plan(cmd, uow, platform)
    return await _planned_then_created(ask, linked, cmd.dry_run)


async def resume_job(cmd: ResumeJob, uow: UnitOfWork, store: ObjectStore, platform: Platform,
                     ask: Ask) -> dict[str, Any] | JobView:
    linked = await lineage.resume_plan(cmd, uow, store, platform)
    return await _planned_then_created(ask, linked, cmd.dry_run,
                                       linked.planned["checkpoint_step"])
