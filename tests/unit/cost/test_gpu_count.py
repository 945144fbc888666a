"""Several GPUs on one instance: priced per instance, and (sharding, not data parallelism) no
faster than one."""

from __future__ import annotations

import msgspec

from proto.cost import EstimateRequest
from services.cost import domain

REQUEST = EstimateRequest(estimated_tokens=2_000_000, usable_pairs=1000, gpu_type="H100-80GB",
                          pricing="on_demand", model_parameter_count=70_600_000_000)


def test_four_gpus_cost_four_times_an_hour_and_as_long_as_one():
    # The trainer shards a model over several GPUs for memory; it does not train faster.
    one = domain.estimate(REQUEST)
    four = domain.estimate(msgspec.structs.replace(REQUEST, gpu_count=4))
    assert four.hourly_rate_cents == 4 * one.hourly_rate_cents and four.gpu_count == 4
    assert four.duration_s_high == one.duration_s_high
    assert four.cost_cents_high > 3 * one.cost_cents_high


def test_an_attempt_on_a_different_gpu_count_than_estimated_is_billed_at_list_price():
    estimate = {"gpu_type": "H100-80GB", "pricing": "spot", "hourly_rate_cents": 120,
                "gpu_count": 1}
    same = domain.billed_rate_cents("H100-80GB", "spot", estimate, ("H100-80GB", "spot"), 1)
    more = domain.billed_rate_cents("H100-80GB", "spot", estimate, ("H100-80GB", "spot"), 2)
    assert same == 120
    assert more == 2 * domain.list_rate_cents("H100-80GB", "spot")
