"""The checked-in AsyncAPI document (proto/asyncapi.yaml) says what the code does."""

from __future__ import annotations

import difflib
import re

import msgspec
import pytest
import yaml

from services.cli.asyncapi import COMMAND, DOCUMENT
from services.cli.asyncapi.document import render
from services.cli.asyncapi.messages import SCHEMA_REF, bus_messages, to_asyncapi_dialect


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text())


def test_committed_document_is_what_the_code_generates_now():
    committed, generated = DOCUMENT.read_text(), render()
    diff = list(difflib.unified_diff(committed.splitlines(), generated.splitlines(),
                                     "committed", "generated", lineterm="", n=1))
    assert not diff, (f"{DOCUMENT} is out of date with the code: run `{COMMAND}` and commit "
                      "the result.\n" + "\n".join(diff[:60]))


def test_every_proto_message_with_a_subject_has_its_channel_and_schema(document):
    for subject, cls in bus_messages().items():
        name = cls.__name__
        channel = document["channels"][subject]
        assert channel["address"] == subject
        assert channel["messages"][name] == {"$ref": f"#/components/messages/{name}"}
        assert document["components"]["messages"][name]["payload"] == {
            "$ref": f"#/components/schemas/{name}"}
        _, components = msgspec.json.schema_components([cls], ref_template=SCHEMA_REF)
        assert document["components"]["schemas"][name] == to_asyncapi_dialect(components[name])


def test_every_received_subject_has_a_sender_and_every_request_a_responder(document):
    by_action: dict[str, set[str]] = {"send": set(), "receive": set()}
    for operation in document["operations"].values():
        by_action[operation["action"]].add(operation["channel"]["$ref"].rsplit("/", 1)[1])
    assert by_action["receive"] - by_action["send"] == set(), "consumed, never published"
    requests = {s for s in by_action["send"] if s.startswith("rpc.")}
    assert requests - by_action["receive"] == set(), "requested, never answered"


def test_every_durable_consumer_is_named_by_one_rule():
    """Issue 15: `<service>-on-<what it consumes>`, fixed before production data makes renaming
    costly (a new name is a new consumer that replays its stream from the start)."""
    from services.cli.asyncapi.wiring import receivers

    rule = re.compile(r"^(?P<service>[a-z]+)-on-[a-z0-9]+(-[a-z0-9]+)*$")
    durable = [e for e in receivers() if e.kind in ("durable", "batch")]
    assert durable
    wrong = [(e.service, e.name) for e in durable
             if not (m := rule.match(e.name)) or m["service"] != e.service]
    assert not wrong, f"durable consumers off the <service>-on-<event> rule: {wrong}"
