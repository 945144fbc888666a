"""Costs: a job's live and final cost (UJ3.2.1, UJ6.3.1), the budget and the month (UJ6.3.2)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, put
from litestar.di import NamedDependency
from litestar.params import Parameter

from proto.cost import ExportCosts, GetBudget, GetJobCost, GetMonthCosts, SetBudget
from proto.cost_views import BudgetView, JobCostView, MonthCosts
from proto.jobs import GetJob
from services.gateway.bus import GatewayBus

Month = Annotated[str | None, Parameter(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
EstimateCents = Annotated[int | None, Parameter(ge=0, description="a job's high estimate, cents")]


class BudgetBody(msgspec.Struct, frozen=True, kw_only=True):
    """Amounts in cents; null removes the limit or cap."""

    monthly_limit_cents: Annotated[int, msgspec.Meta(ge=0)] | None = None
    job_cap_cents: Annotated[int, msgspec.Meta(ge=1)] | None = None
    monthly_cap_cents: Annotated[int, msgspec.Meta(ge=1)] | None = None


class CostsController(Controller):
    path = "/"
    tags = ["costs"]

    @get("/jobs/{job_id:uuid}/cost")
    async def job_cost(self, job_id: uuid.UUID, bus: NamedDependency[GatewayBus]) -> JobCostView:
        """Live spend, rate, projection and colour; the final breakdown once the job is over."""
        await bus.ask(GetJob(job_id=job_id))  # a 404 names the job, not its cost record
        return await bus.ask(GetJobCost(job_id=job_id), JobCostView)

    @get("/budget")
    async def get_budget(self, bus: NamedDependency[GatewayBus],
                         estimate_cents: EstimateCents = None) -> BudgetView:
        """The limits and the month; with `estimate_cents` (a job's high estimate), its
        `impact`: share of what is left, what is left after it, and the refusal if any."""
        return await bus.ask(GetBudget(estimate_cents=estimate_cents), BudgetView)

    @put("/budget")
    async def put_budget(self, data: BudgetBody, bus: NamedDependency[GatewayBus]) -> BudgetView:
        """Set the monthly limit and the optional hard caps per job and per month."""
        return await bus.ask(SetBudget(**msgspec.structs.asdict(data)), BudgetView)

    @get("/costs/month")
    async def month(self, bus: NamedDependency[GatewayBus], month: Month = None) -> MonthCosts:
        """Month-to-date spend, jobs this month, remaining budget, forecast, per job and tag."""
        return await bus.ask(GetMonthCosts(month=month), MonthCosts)

    @get("/costs/export.csv", media_type="text/csv")
    async def export(self, bus: NamedDependency[GatewayBus], month: Month = None) -> Response:
        """The cost ledger for accounting: one row per billed instance, with its event ids."""
        body = await bus.ask(ExportCosts(month=month))
        name = f"brightrun-costs-{month or 'all'}.csv"
        return Response(body, media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
