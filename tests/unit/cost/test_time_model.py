"""The estimate's time model, re-fitted from finished jobs; estimates use the fit."""

from __future__ import annotations

import math

import msgspec

from proto.cost import EstimateRequest
from proto.gpu import GPU_TYPES
from proto.jobs import HyperparameterOverrides
from services.cost import domain
from services.cost.timemodel import Observation, fit, fit_all, size_class


def test_a_line_through_finished_jobs_recovers_their_overhead_and_pace():
    jobs = [Observation("cpu", 22, seed_s, 20.0 + 3.0 * seed_s) for seed_s in (1, 2, 5, 10)]
    c = fit(jobs, seed_overhead_s=40.0)
    assert abs(c.slope - 3.0) < 1e-9 and abs(c.intercept_s - 20.0) < 1e-9 and c.jobs == 4


def test_few_jobs_correct_the_pace_alone_on_top_of_the_seed_overhead():
    c = fit([Observation("H100-80GB", 36, 1000.0, 900.0 + 2000.0)], seed_overhead_s=900.0)
    assert c.intercept_s == 900.0 and abs(c.slope - 2.0) < 1e-9


def test_corrections_are_kept_per_gpu_type_and_model_size():
    jobs = [Observation("cpu", 22, 1.0, 30.0), Observation("cpu", 27, 1.0, 60.0)]
    assert set(fit_all(jobs, {"cpu": 10.0})) == {("cpu", 22), ("cpu", 27)}
    assert size_class(135_000_000) == 27 and size_class(70_000_000_000) == 36


def test_an_estimate_uses_the_fitted_correction_for_its_gpu_and_size():
    req = EstimateRequest(estimated_tokens=20_000, usable_pairs=100, gpu_type="cpu",
                          model_parameter_count=3_300_000)
    seed = domain.estimate(req)
    jobs = [Observation("cpu", size_class(3_300_000), s, 10.0 + 2.0 * s) for s in (1, 2, 4)]
    fitted = domain.estimate(req, fit_all(jobs, {"cpu": 40.0}))
    seed_s = domain.seed_seconds(GPU_TYPES["cpu"], seed.tokens_to_train, 3_300_000)
    centre = (fitted.duration_s_low + fitted.duration_s_high) / 2
    assert abs(centre - (10.0 + 2.0 * seed_s)) <= 1
    assert seed.tokens_to_train == fitted.tokens_to_train


def test_a_resume_estimate_covers_the_steps_left_and_a_whole_start_up():
    whole = EstimateRequest(estimated_tokens=200_000, usable_pairs=500, gpu_type="H100-80GB",
                            model_parameter_count=70_000_000_000)
    full = domain.estimate(whole)
    step = full.total_steps // 2
    resumed = domain.estimate(msgspec.structs.replace(whole, resume_from_step=step))
    left = (full.total_steps - step) / full.total_steps
    gpu = GPU_TYPES["H100-80GB"]
    training_s = full.duration_s_high / 1.15 - gpu.overhead_s
    assert resumed.tokens_to_train == round(full.tokens_to_train * left)
    assert abs(resumed.duration_s_high / 1.15 - (gpu.overhead_s + training_s * left)) <= 1
    assert (resumed.total_steps, resumed.resumed_at_step) == (full.total_steps, step)


def test_steps_follow_the_packed_sequences_and_the_time_the_pairs_tokens():
    # 82 pairs in 62 conversations, each conversation one sequence once packed (the sample):
    # micro-batch 2 × accumulation 2, two epochs.
    overrides = HyperparameterOverrides(epochs=2, micro_batch_size=2, grad_accumulation=2)
    pairs = EstimateRequest(estimated_tokens=24_000, usable_pairs=82, overrides=overrides)
    packed = domain.estimate(msgspec.structs.replace(pairs, sequences=62))
    assert (domain.estimate(pairs).total_steps, packed.total_steps) == (34, 26)
    assert packed.tokens_to_train == domain.estimate(pairs).tokens_to_train
    capped = domain.estimate(msgspec.structs.replace(
        pairs, sequences=62, overrides=msgspec.structs.replace(overrides, max_steps=13)))
    assert capped.total_steps == 13 and capped.tokens_to_train == packed.tokens_to_train // 2


def test_a_pair_whose_host_is_truncated_trains_as_a_sequence_of_its_own():
    # 20 of the 82 pairs fold into a later turn; 12 of those hosts hold more than 512 tokens.
    hosts = [400] * 8 + [600] * 12
    request = EstimateRequest(estimated_tokens=24_000, usable_pairs=82, sequences=62,
                              packed_host_tokens=hosts, overrides=HyperparameterOverrides(
                                  epochs=1, micro_batch_size=1, grad_accumulation=1))
    at = {n: domain.estimate(msgspec.structs.replace(
        request, overrides=msgspec.structs.replace(request.overrides, max_seq_len=n)))
        for n in (512, 1024)}
    assert (at[1024].total_steps, at[512].total_steps) == (math.ceil(62 * 0.8),
                                                          math.ceil(74 * 0.8))


# --- the estimate's accuracy note (issue 15) -----------------------------------------------------


def test_the_note_says_catalogue_seed_until_finished_jobs_back_test_it():
    from services.cost.timemodel import Correction, Observation, accuracy_note, backtest

    assert backtest([Observation("cpu", 22, 10.0, 60.0)], 40.0) == (0, 0)
    seed_note = accuracy_note("cpu", None)
    assert "catalogue seed" in seed_note and "not a measurement" in seed_note
    assert accuracy_note("cpu", Correction(1.0, 40.0, 1)) == seed_note  # fitted, never tested
    # duration = 40 s + 2 × seed_s exactly, and one job twice as slow as the line says
    jobs = [Observation("cpu", 22, s, 40.0 + 2 * s) for s in (10.0, 20.0, 40.0, 80.0)]
    jobs.append(Observation("cpu", 22, 30.0, 2 * (40.0 + 2 * 30.0)))
    tested, within = backtest(jobs, 40.0)
    assert tested == 5 and 0 < within < 5  # the slow one misses its leave-one-out estimate
    note = accuracy_note("cpu", Correction(2.0, 40.0, 5, tested, within))
    assert f"{within} of 5 came within ±15%" in note and "5 finished jobs on cpu" in note
