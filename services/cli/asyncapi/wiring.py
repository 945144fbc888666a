"""Who sends and who receives each subject, read from the services' own code.

Receivers: each service's wiring is built (building connects to nothing) and its FastStream
subscribers and batch consumers are listed. It is built once per provider setting, because
some consumers exist only with RunPod selected.

Senders: a service sends the bus messages its package constructs — events go to the outbox or
`publish_event`, requests to `call`. Constructing is the one step every path shares (an event
may be built in one function and emitted in another), so the scan looks for that. A service's
own requests are the exception: it answers them in-process (`handlers.cancel_job(CancelJob(…))`),
never over the bus.
"""

from __future__ import annotations

import ast
import importlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import services
from libs.common.settings import Settings

SERVICES_DIR = Path(services.__path__[0])
# The settings that change what a service subscribes to; "" is the default configuration.
# (An API on loopback, as the tests' fake RunPod: real RunPod refuses to start with this
# machine's loopback gateway and files, which its pods cannot reach.)
VARIANTS: dict[str, dict[str, object]] = {"": {}, "BRIGHTRUN_PROVIDER=runpod": {
    "provider": "runpod", "runpod_api_url": "http://127.0.0.1:9"},
    "BRIGHTRUN_ALLOW_FAULT_INJECTION=1": {"allow_fault_injection": True}}


@dataclass(frozen=True, order=True)
class Endpoint:
    service: str
    action: str  # "send" or "receive", as AsyncAPI operations say it
    subject: str
    kind: str  # receive: durable, batch, live or rpc; send: publish or request
    name: str = ""  # the durable consumer or the queue group


def service_names() -> list[str]:
    return sorted(p.parent.name for p in SERVICES_DIR.glob("*/app.py"))


def receivers() -> dict[Endpoint, set[str]]:
    """Every receiving endpoint, with the variants (settings) under which it exists."""
    found: dict[Endpoint, set[str]] = {}
    for variant, overrides in VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="asyncapi-") as state_dir:
            settings = Settings(state_dir=state_dir, database_url="postgresql://unused/unused",
                                **overrides)
            for service in service_names():
                for endpoint in _wired(service, settings):
                    found.setdefault(endpoint, set()).add(variant)
    return found


def _wired(service: str, settings: Settings) -> list[Endpoint]:
    app = importlib.import_module(f"services.{service}.app")
    if hasattr(app, "build"):  # a ServiceRuntime
        runtime = app.build(settings)
        batches = [Endpoint(service, "receive", subject, "batch", consumer)
                   for subject, consumer in runtime.batch_consumers]
        return _subscribed(service, runtime.broker) + batches
    if hasattr(app, "wire_bus"):  # the gateway: a Litestar app with a bus beside it
        from litestar.channels import ChannelsPlugin
        from litestar.channels.backends.memory import MemoryChannelsBackend

        channels = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
        return _subscribed(service, app.wire_bus(settings, channels).broker)
    raise RuntimeError(f"services/{service}/app.py has neither build() nor wire_bus(): "
                       "teach services/cli/asyncapi/wiring.py how to read its subscribers")


def _subscribed(service: str, broker: Any) -> list[Endpoint]:
    found = []
    for sub in broker.subscribers:
        if not sub.specification.include_in_schema:  # the readiness ping
            continue
        subject = sub.subject.template
        if durable := sub.extra_options.get("durable"):
            found.append(Endpoint(service, "receive", subject, "durable", durable))
        elif sub.queue:
            found.append(Endpoint(service, "receive", subject, "rpc", sub.queue))
        else:
            found.append(Endpoint(service, "receive", subject, "live"))
    return found


# Packages without an app.py that still send: `brightrun keys` asks the jobs service (issue 15).
CLIENTS = ("cli",)


def senders(messages: dict[str, type]) -> set[Endpoint]:
    """Every (service, subject) whose message the service's package constructs."""
    by_origin = {(cls.__module__, cls.__name__): cls for cls in messages.values()}
    found = set()
    for service in [*service_names(), *CLIENTS]:
        for path in sorted((SERVICES_DIR / service).rglob("*.py")):
            for cls in _constructed(ast.parse(path.read_text(), str(path)), by_origin):
                request = cls.subject.startswith("rpc.")
                if request and cls.subject.startswith(f"rpc.{service}."):
                    continue  # answered in-process (see the module docstring)
                found.add(Endpoint(service, "send", cls.subject,
                                   "request" if request else "publish"))
    return found


def _constructed(tree: ast.Module, by_origin: dict[tuple[str, str], type]) -> set[type]:
    """Bus message classes called in `tree`, as `Name(...)` or `module.Name(...)`."""
    names: dict[str, tuple[str, str]] = {}  # local name -> (module, class name)
    modules: dict[str, str] = {}  # local name -> module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("proto"):
            names.update({a.asname or a.name: (node.module, a.name) for a in node.names})
        elif isinstance(node, ast.Import):
            modules.update({a.asname or a.name: a.name for a in node.names
                            if a.name.startswith("proto")})
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, origin = node.func, None
        if isinstance(func, ast.Name):
            origin = names.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            origin = (modules.get(func.value.id, ""), func.attr)
        if origin in by_origin:
            found.add(by_origin[origin])
    return found
