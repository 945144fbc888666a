"""Training sets (issue 17): combine uploaded training files; statistics and eligibility of the
combination, each conversation counted once and the repeats listed. A job trains on a set with
`POST /api/v1/jobs` and `training_set_id`."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency

from proto.training_sets import (
    CreateTrainingSet,
    GetTrainingSet,
    ListTrainingSets,
    TrainingSetView,
)
from services.gateway.bus import GatewayBus


class TrainingSetBody(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    training_file_ids: list[uuid.UUID]


class TrainingSetsController(Controller):
    path = "/training-sets"
    tags = ["training sets"]

    @post("/", status_code=201)
    async def create(self, data: TrainingSetBody,
                     bus: NamedDependency[GatewayBus]) -> TrainingSetView:
        """Combine uploaded files, in the order given (the first copy of a conversation found
        twice is kept); answers the set's stats, eligibility and duplicates."""
        return await bus.ask(CreateTrainingSet(name=data.name,
                                               training_file_ids=data.training_file_ids),
                             TrainingSetView)

    @get("/")
    async def list_sets(self, bus: NamedDependency[GatewayBus],
                        limit: int = 100) -> list[TrainingSetView]:
        """Training sets, newest first."""
        return await bus.ask(ListTrainingSets(limit=min(max(limit, 1), 500)), list[TrainingSetView])

    @get("/{training_set_id:uuid}")
    async def get_set(self, training_set_id: uuid.UUID,
                      bus: NamedDependency[GatewayBus]) -> TrainingSetView:
        return await bus.ask(GetTrainingSet(training_set_id=training_set_id), TrainingSetView)
