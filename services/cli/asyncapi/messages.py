"""The messages that travel on the bus, and their schemas in the AsyncAPI Schema dialect."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import msgspec

import proto
from proto.api import Reply

SCHEMA_REF = "#/components/schemas/{name}"


def bus_messages() -> dict[str, type]:
    """Every proto Struct that declares the subject it travels on, by subject."""
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(proto.__path__):
        module = importlib.import_module(f"proto.{module_info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, msgspec.Struct)
                    and value.__module__ == module.__name__ and getattr(value, "subject", "")):
                if value.subject in found:
                    raise ValueError(f"{value.__name__} and {found[value.subject].__name__} "
                                     f"both declare subject {value.subject!r}")
                found[value.subject] = value
    return dict(sorted(found.items()))


def schemas(types: list[type]) -> dict[str, Any]:
    """Components for `types` (plus the RPC `Reply` envelope), everything they reference included."""
    _, components = msgspec.json.schema_components(
        [*types, Reply], ref_template=SCHEMA_REF)
    return {name: to_asyncapi_dialect(components[name]) for name in sorted(components)}


def to_asyncapi_dialect(node: Any) -> Any:
    """msgspec writes JSON Schema 2020-12 (OpenAPI 3.1 flavour); the AsyncAPI Schema Object is a
    draft-07 superset, which spells two things differently: a tagged union's discriminator is
    the property name alone, and a fixed tuple's items are an array (2020-12 `prefixItems`)."""
    if isinstance(node, list):
        return [to_asyncapi_dialect(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "discriminator" and isinstance(value, dict):
            out[key] = value["propertyName"]
        elif key == "prefixItems":
            out["items"] = to_asyncapi_dialect(value)
        elif key == "items" and "prefixItems" in node:  # 2020-12: what follows the tuple
            out["additionalItems"] = to_asyncapi_dialect(value)
        else:
            out[key] = to_asyncapi_dialect(value)
    return out
