"""The event log's one-line descriptions: every trainer event has one, and none is refused."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from proto.training import SuiteMeasured, TrainerEvent
from services.monitoring.domain import describe

JOB = uuid.uuid4()


def test_a_measured_suite_and_a_failed_one_read_as_the_user_would_say_them():
    kind, category, message = describe(SuiteMeasured(job_id=JOB, suite="knowledge_retention",
                                                     ok=True, duration_s=41.6))
    assert (kind, category) == ("validation", "status")
    assert message == "Validation: knowledge retention measured in 42 s"
    _, category, message = describe(SuiteMeasured(job_id=JOB, suite="perplexity", ok=False,
                                                  message="out of memory"))
    assert category == "error" and message.endswith("could not be measured: out of memory")


@pytest.mark.parametrize("event_type", TrainerEvent.__args__)
def test_every_trainer_event_type_has_a_description_of_its_own(event_type):
    # The fallback (for types newer than the service) names the type; known types say more.
    assert event_type.__name__ not in {describe(_example(event_type))[2]}


def _example(event_type):
    required = {f.name: _value(f.type) for f in msgspec.structs.fields(event_type)
                if f.required}
    return event_type(**required)


def _value(annotation):
    return {int: 1, float: 1.0, str: "x", bool: True, uuid.UUID: JOB}.get(annotation, None) \
        if annotation in (int, float, str, bool, uuid.UUID) else _literal(annotation)


def _literal(annotation):
    args = getattr(annotation, "__args__", ())
    return args[0] if args else None
