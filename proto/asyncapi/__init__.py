"""The bus as an AsyncAPI 3.0 document, generated from the code: `python -m proto.asyncapi`.

Sources of truth, nothing kept by hand: the msgspec Structs of `proto/` (schemas, `subject`),
`libs.common.bus.STREAMS`, the subscribers and batch consumers each service's wiring registers
(receivers), and the messages each service package constructs (senders).

The generator is the only part of `proto/` that imports `services/` (to read their wiring);
nothing imports it, so the trainer and the services still depend on the contracts alone.
"""

from pathlib import Path

DOCUMENT = Path(__file__).resolve().parent.parent / "asyncapi.yaml"
COMMAND = "make asyncapi"  # or `python -m proto.asyncapi`
