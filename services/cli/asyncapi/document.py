"""Assemble the AsyncAPI 3.0 document: one channel per subject, one operation per service
and direction, the message schemas as components."""

from __future__ import annotations

from typing import Any

import yaml

from libs.common.bus import STREAMS, stream_for
from libs.common.settings import Settings
from services.cli.asyncapi import COMMAND
from services.cli.asyncapi.messages import bus_messages, schemas
from services.cli.asyncapi.wiring import Endpoint, receivers, senders

REPLY_CHANNEL = "rpcReply"
HOW = {
    "durable": "durable consumer `{name}`: one message at a time, in stream order; "
               "redelivered on error or crash",
    "batch": "durable consumer `{name}`, batched: everything pending, in stream order, "
             "applied together",
    "live": "plain subscription: only what arrives while it runs; nothing is kept for it",
    "rpc": "answers requests in queue group `{name}`; the answer is a `Reply`",
    "publish": "published with the event id as `Nats-Msg-Id` (the stream drops a duplicate)",
    "request": "asks and waits for the `Reply`",
}
HEADER = f"""\
# The Bright Run bus, generated from the code: do not edit; run `{COMMAND}`
# (or `python -m services.cli.asyncapi`).
# tests/unit/test_asyncapi.py fails when this file and the code disagree.
"""


def build() -> dict[str, Any]:
    messages = bus_messages()
    endpoints = {e: set() for e in senders(messages)} | receivers()
    unknown = sorted({e.subject for e in endpoints} - set(messages))
    if unknown:
        raise ValueError(f"subjects with no proto message declaring them: {unknown}")
    return {
        "asyncapi": "3.0.0",
        "info": _info(),
        "defaultContentType": "application/json",
        "servers": _servers(),
        "channels": _channels(messages),
        "operations": _operations(endpoints, messages),
        "components": {"messages": _messages(messages),
                       "schemas": schemas(list(messages.values()))},
    }


def render() -> str:
    # YAML for people reading a diff in review; key order is ours (sort_keys=False), and every
    # collection is built sorted, so the same code always gives the same bytes.
    return HEADER + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


def _info() -> dict[str, Any]:
    return {
        "title": "Bright Run bus",
        "version": "1.0.0",  # each message is versioned on its own, in its subject (`.v1`)
        "description": (
            "Events and requests between the Bright Run services over NATS. Events travel in "
            "JetStream streams (at-least-once, deduplicated by `Nats-Msg-Id`); `rpc.*` "
            "subjects are in no stream: request/reply on core NATS. Operations are tagged "
            "with the service that performs them."),
    }


def _servers() -> dict[str, Any]:
    host = Settings().nats_url.removeprefix("nats://")
    return {"nats": {"host": host, "protocol": "nats",
                     "description": "The default URL (`BRIGHTRUN_NATS_URL`); `brightrun up` "
                                    "starts its own server on a free port."}}


def _channels(messages: dict[str, type]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for subject, cls in messages.items():
        if subject.startswith("rpc."):
            where = "Request/reply on core NATS (in no stream)."
        else:
            stream = stream_for(subject)
            where = f"JetStream stream `{stream}` ({', '.join(STREAMS[stream])})."
        channels[subject] = {
            "address": subject, "description": where,
            "messages": {cls.__name__: _ref("components/messages", cls.__name__)}}
    channels[REPLY_CHANNEL] = {
        "address": None,  # the requester's own inbox, new for each request
        "description": "The requester's inbox: every `rpc.*` answer is a `Reply` envelope.",
        "messages": {"Reply": _ref("components/messages", "Reply")},
    }
    return channels


def _messages(messages: dict[str, type]) -> dict[str, Any]:
    components = {}
    for subject, cls in messages.items():
        message: dict[str, Any] = {"name": cls.__name__}
        if not subject.startswith("rpc."):
            message["headers"] = {"type": "object", "properties": {"Nats-Msg-Id": {
                "type": "string", "description": "The event's `event_id`."}}}
        message["payload"] = _ref("components/schemas", cls.__name__)
        components[cls.__name__] = message
    components["Reply"] = {"name": "Reply", "payload": _ref("components/schemas", "Reply")}
    return dict(sorted(components.items()))


def _operations(endpoints: dict[Endpoint, set[str]],
                messages: dict[str, type]) -> dict[str, Any]:
    grouped: dict[tuple[str, str, str], list[tuple[Endpoint, set[str]]]] = {}
    for endpoint, variants in sorted(endpoints.items()):
        key = (endpoint.service, endpoint.action, endpoint.subject)
        grouped.setdefault(key, []).append((endpoint, variants))
    operations = {}
    for (service, action, subject), found in grouped.items():
        name = messages[subject].__name__
        operations[f"{service}.{action}.{name}"] = _operation(action, subject, name, found)
    return dict(sorted(operations.items()))


def _operation(action: str, subject: str, name: str,
               found: list[tuple[Endpoint, set[str]]]) -> dict[str, Any]:
    channel = f"#/channels/{subject}"
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": channel},
        "messages": [{"$ref": f"{channel}/messages/{name}"}],
        "description": "; ".join(_how(endpoint, variants) for endpoint, variants in found),
        "tags": [{"name": found[0][0].service}],
    }
    if subject.startswith("rpc."):
        queues = sorted({e.name for e, _ in found if e.name})
        if queues:
            operation["bindings"] = {"nats": {"queue": queues[0]}}
        operation["reply"] = {
            "channel": {"$ref": f"#/channels/{REPLY_CHANNEL}"},
            "messages": [{"$ref": f"#/channels/{REPLY_CHANNEL}/messages/Reply"}],
        }
    return operation


def _how(endpoint: Endpoint, variants: set[str]) -> str:
    how = HOW[endpoint.kind].format(name=endpoint.name)
    if variants and "" not in variants:  # not in the default configuration
        how += f" (only with {', '.join(sorted(variants))})"
    return how


def _ref(section: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/{section}/{name}"}
