"""Cost service: estimates (UJ1.2.2, UJ1.2.3), live cost and alerts (UJ3.2), budgets (UJ6.3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.api import ApiError
from proto.base import Message
from proto.jobs import HyperparameterOverrides
from proto.training import ModelRef


class EstimateQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A job's configuration as the user gives it (the gateway's POST /estimates body)."""

    training_file_id: uuid.UUID
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    model: ModelRef = msgspec.field(default_factory=ModelRef)


class EstimateJob(EstimateQuery, frozen=True, kw_only=True):
    """Estimate a configuration (UJ1.2.2, asked on every change of the form). The cost service
    reads the file's stats and RunPod's current prices itself, from its own caches: the answer
    never waits on RunPod."""

    subject: ClassVar[str] = "rpc.cost.estimate_job"
    # UJ4.3.2: a resume from the checkpoint at this step: the estimate covers the steps left
    # (and a fresh start-up), not the whole run.
    resume_from_step: Annotated[int, msgspec.Meta(ge=0)] = 0


class EstimateRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What the cost model computes an estimate from: `EstimateJob` with the training file's
    stats and the prices filled in (services/cost/estimates.py). Not a bus message."""

    estimated_tokens: int
    usable_pairs: int
    # What the trainer steps through once it has packed each conversation's turns (the file's
    # stats); 0: not known, every pair a sequence of its own.
    sequences: Annotated[int, msgspec.Meta(ge=0)] = 0
    # The stats' packed_host_tokens: a pair whose host exceeds max_seq_len is truncated out of
    # it and trains as a sequence of its own (sequences_at).
    packed_host_tokens: list[int] = []
    preset: str = "balanced"
    overrides: HyperparameterOverrides = msgspec.field(default_factory=HyperparameterOverrides)
    gpu_type: str = "cpu"
    pricing: Literal["spot", "on_demand"] = "spot"
    model_parameter_count: int = 135_000_000
    # The model the job loads (ModelRef.name). Given, the cost service counts its parameters
    # from its config (libs/common/model_size.py) and `model_parameter_count` is only the
    # client's declaration, used (with a note) when the config cannot be read here.
    model_name: str = ""
    gpu_count: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    # UJ4.3.2: a resume from the checkpoint at this step: the estimate covers the steps left
    # (and a fresh start-up), not the whole run.
    resume_from_step: Annotated[int, msgspec.Meta(ge=0)] = 0
    # Prices the provisioning service has from RunPod now (cents per GPU-hour); None: the
    # cost service's catalogue price. `price_notice` says when they are last-known, not live.
    spot_cents_per_hour: int | None = None
    on_demand_cents_per_hour: int | None = None
    price_notice: str = ""

    def sequences_at(self, max_seq_len: int) -> int:
        """The sequences the trainer steps through at this max length: the packed ones, and
        each pair whose host it truncates."""
        return self.sequences + sum(tokens > max_seq_len for tokens in self.packed_host_tokens)


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    gpu_type: str
    pricing: str
    hourly_rate_cents: int
    gpu_count: int = 1  # the rate and costs are for this many GPUs together
    duration_s_low: int
    duration_s_high: int
    cost_cents_low: int
    cost_cents_high: int
    spot_cost_cents_high: int
    on_demand_cost_cents_high: int
    total_steps: int
    tokens_to_train: int
    # What the ±15% rests on: this installation's back-test with its count, or the catalogue seed
    accuracy_note: str = "±15% is the catalogue seed's range, not a measurement"
    # Adapters, checkpoints and packages in object storage: not charged by the estimate.
    object_storage: str = "included"
    resumed_at_step: int = 0  # non-zero: durations, costs and tokens are for the steps left
    warnings: list[str] = msgspec.field(default_factory=list)
    price_source: Literal["runpod", "catalogue"] = "catalogue"
    price_notice: str = ""
    # What the run needs at its peak (libs.common.memory) against what the instance has; over it,
    # a warning and the smallest change that fits better, as a retry would apply it.
    memory_needed_bytes: int = 0
    memory_available_bytes: int = 0
    memory_suggested_changes: dict[str, int] = msgspec.field(default_factory=dict)


# --- Live cost, budgets and caps (UJ3.2.1, UJ3.2.2, UJ6.3.1, UJ6.3.2) ---------------------------
# Money on the wire is integer cents; the ledger behind every figure keeps exact cent·ms/h units.

AlertLevel = Literal["approaching", "exceeded", "significantly_over"]


class CostAlertRaised(Message, frozen=True, kw_only=True):
    """UJ3.2.2: a job's spend crossed a threshold of its estimate; once per job and threshold."""

    subject: ClassVar[str] = "cost.job.alert_raised.v1"
    job_id: uuid.UUID
    job_name: str = ""
    threshold_pct: int
    level: AlertLevel
    spend_cents: int
    estimate_cents: int
    message: str


class BudgetAlertRaised(Message, frozen=True, kw_only=True):
    """UJ6.3.2: month-to-date spend crossed a share of the monthly limit; once per month each."""

    subject: ClassVar[str] = "cost.budget.alert_raised.v1"
    month: str  # "2026-11"
    threshold_pct: int
    spent_cents: int
    limit_cents: int
    message: str


class CostCapReached(Message, frozen=True, kw_only=True):
    """A hard cap was reached while the job runs: jobs stops it with a checkpoint (resumable)."""

    subject: ClassVar[str] = "cost.job.cap_reached.v1"
    job_id: uuid.UUID
    scope: Literal["job", "month"]
    cap_cents: int
    spend_cents: int
    reason: str = "cost cap"
    message: str


class ReserveBudget(msgspec.Struct, frozen=True, kw_only=True):
    """Accept a job's estimate against the budget and hold it until the job is settled: the
    check and the hold are one transaction on the locked budget row, so jobs created at once
    cannot all fit the same remainder. Fails with `budget_exceeded` when the estimate does not fit
    what is left of the month (reservations of unsettled jobs counted), `job_cap_exceeded` when it
    does not fit what is left of the per-job cap. Asking again with the same
    `reservation_id` answers the reservation already made."""

    subject: ClassVar[str] = "rpc.cost.reserve_budget"
    reservation_id: uuid.UUID
    estimate_cents: Annotated[int, msgspec.Meta(ge=0)]
    job_name: str = ""
    parent_job_id: uuid.UUID | None = None  # a retry or resume: the cap counts its spend too


class ReleaseReservation(msgspec.Struct, frozen=True, kw_only=True):
    """The creation a reservation was made for failed: hand its estimate back now (a
    reservation no JobQueued binds is released by the cost service's sweeper anyway)."""

    subject: ClassVar[str] = "rpc.cost.release_reservation"
    reservation_id: uuid.UUID


class Reservation(msgspec.Struct, frozen=True, kw_only=True):
    reservation_id: uuid.UUID
    estimate_cents: int
    job_id: uuid.UUID | None
    created_at: datetime
    released_at: datetime | None
    release_reason: str | None
    remaining_cents: int | None = None  # what is left of the month after it (None: no limit)


class GetJobCost(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.cost.job_cost"
    job_id: uuid.UUID


class GetBudget(msgspec.Struct, frozen=True, kw_only=True):
    """The limits and the month; with `estimate_cents`, also the `impact` of a job estimated at
    up to that much (UJ1.3.2: the review step before it starts)."""

    subject: ClassVar[str] = "rpc.cost.get_budget"
    estimate_cents: Annotated[int, msgspec.Meta(ge=0)] | None = None


class BudgetImpact(msgspec.Struct, frozen=True, kw_only=True):
    """A job estimated at up to `estimate_cents` against the month (UJ1.3.2)."""

    estimate_cents: int
    fits: bool  # false: creating it now is refused, as `refusal` says
    share_of_remaining_pct: int | None  # of what is left of the month; None: no limit, or none left
    remaining_after_cents: int | None  # None: no monthly limit
    refusal: ApiError | None = None  # budget_exceeded or job_cap_exceeded, with its how_to_fix


class SetBudget(msgspec.Struct, frozen=True, kw_only=True):
    """The monthly limit and the optional hard caps; None removes a limit or cap."""

    subject: ClassVar[str] = "rpc.cost.set_budget"
    monthly_limit_cents: Annotated[int, msgspec.Meta(ge=0)] | None = None
    job_cap_cents: Annotated[int, msgspec.Meta(ge=1)] | None = None
    monthly_cap_cents: Annotated[int, msgspec.Meta(ge=1)] | None = None


class GetMonthCosts(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.cost.month"
    month: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$")] | None = None  # None: now


class ExportCosts(msgspec.Struct, frozen=True, kw_only=True):
    """The ledger as CSV for accounting, one row per cost entry with the events behind it."""

    subject: ClassVar[str] = "rpc.cost.export_csv"
    month: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$")] | None = None
