"""Duration and cost estimates (UJ1.2.2, UJ1.2.3). Money is integer cents. No I/O.

The time model: tokens to train ÷ throughput for (GPU type, model size), plus the fixed
overhead of provisioning and loading. Throughput seeds are published QLoRA figures scaled by
parameter count; `timemodel.py` re-fits them from this installation's finished jobs, and
`estimate` applies the fitted correction for the (GPU type, model size) when there is one.
"""

from __future__ import annotations

import math

import msgspec

from libs.common.model_size import ModelSize
from proto.cost import Estimate, EstimateRequest
from proto.gpu import GPU_TYPES, GpuType
from proto.jobs import HyperparameterOverrides
from proto.presets import resolve
from proto.training import VAL_FRACTION
from services.cost.memory_fit import memory_check
from services.cost.timemodel import Correction, accuracy_note, size_class

RANGE = 0.15  # the ±15% the spec promises; the note says what back-test, if any, it rests on
COST_WARNING_CENTS = 100_00


def list_rate_cents(gpu_type: str, pricing: str) -> int:
    """The hourly price of a GPU type; 0 for one this service does not know."""
    gpu = GPU_TYPES.get(gpu_type)
    if gpu is None:
        return 0
    return gpu.spot_cents_per_hour if pricing == "spot" else gpu.on_demand_cents_per_hour


def billed_rate_cents(gpu_type: str, pricing: str, estimate: dict | None,
                      estimated_for: tuple[str, str], gpu_count: int = 1) -> int:
    """What an attempt on `gpu_type`/`pricing` costs an hour: the estimate's rate (the price the
    user was shown) while it runs on what was estimated, else the list price. A job switched to
    on-demand (UJ2.1.2) keeps its spot estimate, but the provider bills on-demand from then on.
    `estimated_for` says what the estimate priced when it does not say so itself. Rates are per
    instance: `gpu_count` GPUs of the type."""
    estimate = estimate or {}
    priced = (estimate.get("gpu_type", estimated_for[0]), estimate.get("pricing", estimated_for[1]))
    rate = estimate.get("hourly_rate_cents")
    if rate is None or (gpu_type, pricing) != priced or estimate.get("gpu_count", 1) != gpu_count:
        return list_rate_cents(gpu_type, pricing) * gpu_count
    return rate


def throughput(gpu: GpuType, parameter_count: int) -> float:
    return gpu.tokens_per_s_at_70b * 70e9 / max(parameter_count, 1)


def seed_seconds(gpu: GpuType, tokens: int, parameter_count: int) -> float:
    """Training time by the published seed throughput alone: the x of the refit."""
    return tokens / throughput(gpu, parameter_count)


def _trained(count: int) -> int:
    """The share of a file's pairs or sequences that trains: the rest is held out by
    conversation for validation."""
    return math.ceil(count * (1 - VAL_FRACTION))


def sized(req: EstimateRequest, size: ModelSize | None) -> tuple[EstimateRequest, list[str]]:
    """The request with the parameter count of the model it names (`size`, read from its
    config), and the note to show when that count is only the client's declaration."""
    if size is None:
        return req, []
    req = msgspec.structs.replace(req, model_parameter_count=size.parameter_count)
    return req, [] if size.verified else [size.note]


def estimate(req: EstimateRequest, corrections: dict[tuple[str, int], Correction] | None = None,
             size: ModelSize | None = None) -> Estimate:
    gpu = GPU_TYPES.get(req.gpu_type)
    if gpu is None:
        from proto.api import ServiceError

        raise ServiceError("unknown_gpu_type", f"There is no GPU type {req.gpu_type!r}.",
                           f"Choose one of: {', '.join(GPU_TYPES)}.", {"allowed": list(GPU_TYPES)}, 422)
    req, notes = sized(req, size)
    lora, hyper = resolve(req.preset, req.overrides or HyperparameterOverrides())
    pairs = max(req.usable_pairs, 1)
    per_example = min(req.estimated_tokens / pairs, hyper.max_seq_len)
    # A micro-batch holds sequences: the trainer packs each conversation's turns into the
    # longest that repeats them, so steps follow the file's sequences. The time still follows
    # the pairs' tokens, which the throughput figures and their refit are measured in.
    sequences = min(req.sequences_at(hyper.max_seq_len), pairs) if req.sequences else pairs
    per_epoch = math.ceil(_trained(sequences) / (hyper.micro_batch_size * hyper.grad_accumulation))
    full = per_epoch * hyper.epochs
    steps = min(full, hyper.max_steps) if hyper.max_steps else full
    # A resume trains only the steps left, but starts an instance and loads the model anew:
    # the overhead below is paid in full.
    pair_tokens = _trained(pairs) * hyper.epochs * per_example
    tokens = int(pair_tokens * max(0, steps - req.resume_from_step) / full)
    # gpu_count does not shorten it: the trainer shards a model too big for one GPU across
    # several, layer by layer, one working at a time (memory, not speed; no data parallelism).
    seed_s = seed_seconds(gpu, tokens, req.model_parameter_count)
    fitted = (corrections or {}).get((gpu.name, size_class(req.model_parameter_count)))
    seconds = fitted.duration_s(seed_s) if fitted else seed_s + gpu.overhead_s
    spot = gpu.spot_cents_per_hour if req.spot_cents_per_hour is None else req.spot_cents_per_hour
    on_demand = gpu.on_demand_cents_per_hour if req.on_demand_cents_per_hour is None \
        else req.on_demand_cents_per_hour
    spot, on_demand = spot * req.gpu_count, on_demand * req.gpu_count  # an instance's price
    rate = spot if req.pricing == "spot" else on_demand

    def cost(rate_cents: int, s: float) -> int:
        return math.ceil(rate_cents * s / 3600)

    low, high = seconds * (1 - RANGE), seconds * (1 + RANGE)
    warnings = list(notes)
    if cost(rate, high) > COST_WARNING_CENTS:
        warnings.append(f"This job may cost more than ${COST_WARNING_CENTS // 100}.")
    memory = memory_check(gpu, req.gpu_count, req.model_parameter_count, lora, hyper)
    if memory.warning:
        warnings.append(memory.warning)
    return Estimate(
        gpu_type=gpu.name, pricing=req.pricing, hourly_rate_cents=rate, gpu_count=req.gpu_count,
        duration_s_low=int(low), duration_s_high=math.ceil(high),
        cost_cents_low=cost(rate, low), cost_cents_high=cost(rate, high),
        spot_cost_cents_high=cost(spot, high), on_demand_cost_cents_high=cost(on_demand, high),
        total_steps=steps, tokens_to_train=tokens, warnings=warnings,
        resumed_at_step=req.resume_from_step, price_notice=req.price_notice,
        accuracy_note=accuracy_note(gpu.name, fitted),
        price_source="catalogue" if req.spot_cents_per_hour is None else "runpod",
        memory_needed_bytes=memory.needed_bytes, memory_available_bytes=memory.available_bytes,
        memory_suggested_changes=memory.changes,
    )
