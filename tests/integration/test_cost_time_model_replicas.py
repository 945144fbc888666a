"""Two cost replicas: the one that applies a completion refits the time model; the other, which
answers estimates from memory too, loads the refit within its poll (issue 16)."""

from __future__ import annotations

from support import eventually

from services.cost.app import build as build_cost
from services.cost.repository import Costs
from services.cost.timemodel import Correction


async def test_a_refit_saved_by_one_replica_reaches_the_other(start_service) -> None:
    applying = await start_service(build_cost, time_model_poll_s=0.2)
    other = await start_service(build_cost, time_model_poll_s=0.2)
    refit = Correction(1.3, 42.0, 5, 5, 4)
    async with applying.uow() as work:  # what handlers.refit does on the replica that applies
        await Costs(work.conn).save_correction("NVIDIA H100 80GB", 3, refit)
    applying.cost_context.corrections[("NVIDIA H100 80GB", 3)] = refit

    await eventually(lambda: other.cost_context.corrections.get(("NVIDIA H100 80GB", 3)) == refit)
