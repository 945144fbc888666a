"""The bus as an AsyncAPI 3.0 document, generated from the code: `python -m services.cli.asyncapi`.

Sources of truth, nothing kept by hand: the msgspec Structs of `proto/` (schemas, `subject`),
`libs.common.bus.STREAMS`, the subscribers and batch consumers each service's wiring registers
(receivers), and the messages each service package constructs (senders).

It lives with the `brightrun` command, at the top of the dependency graph, because it builds
every service's wiring; `proto/` itself stays contracts alone.
"""

from pathlib import Path

DOCUMENT = Path(__file__).resolve().parents[3] / "proto" / "asyncapi.yaml"
COMMAND = "make asyncapi"  # or `python -m services.cli.asyncapi`
