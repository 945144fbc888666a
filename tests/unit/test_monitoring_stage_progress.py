"""Monitoring's reading of stage progress, the Ready-to-train summary and GPU figures
(UJ2.2.1, UJ2.3.2, UJ3.1.3). Pure functions: no bus, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from proto.training import DataReport, StageChanged, StageProgress, TrainingReady
from services.monitoring.domain import CPU_REASON, describe, expected_completion, gpu_view

JOB = uuid.uuid4()
AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
READY = TrainingReady(conversations=242, training_pairs=1567, sequences=400, model="m",
                      quantization="nf4", epochs=3, total_steps=300, steps_left=300,
                      step_time_s=2.0, step_time_basis="estimated", expected_training_s=600.0)


def tick(percent: float) -> StageChanged:
    done = int(percent * 24)
    return StageChanged(job_id=JOB, stage="preprocessing",
                        detail=f"tokenizing {done:,} of 2,400 examples",
                        progress=StageProgress(percent=percent, done=done, total=2400))


def test_ticks_inside_a_stage_stay_out_of_the_status_log_until_the_stage_is_done():
    kind, category, message = describe(tick(50.0))
    assert (kind, category) == ("stage", "metrics")
    assert message == "Stage: preprocessing — tokenizing 1,200 of 2,400 examples (50%)"
    assert describe(tick(100.0))[1] == "status"


def test_ready_to_train_reads_with_its_counts_model_and_time_basis():
    _, category, message = describe(StageChanged(job_id=JOB, stage="training", ready=READY))
    assert category == "status"
    assert message == ("Ready to train: 242 conversations (1,567 pairs) · m (4-bit quantized) · "
                       "3 epochs, 300 steps × 2.00 s (estimated) ≈ 10 min")


def test_preprocessing_complete_names_the_pairs_ready():
    _, _, message = describe(DataReport(job_id=JOB, train_examples=1567, val_examples=300,
                                        conversations=242))
    assert message.startswith("Preprocessing complete - 1,567 training pairs ready "
                              "(242 conversations, 300 validation pairs held out).")


def test_completion_comes_from_the_ready_summary_until_steps_are_timed():
    assert expected_completion({"remaining_s": None}, READY, AT) == (
        AT + timedelta(seconds=600), "estimated")
    measured = {"remaining_s": 120.0, "last_event_at": AT + timedelta(minutes=5)}
    assert expected_completion(measured, READY, AT) == (AT + timedelta(minutes=7), "measured")
    assert expected_completion({"remaining_s": None}, None, None) == (None, None)


def test_gpu_figures_are_null_with_a_reason_on_a_cpu_and_before_any_sample():
    cpu = gpu_view({"device": "cpu", "memory_bytes": 10, "utilisation_pct": 50.0}, AT)
    assert (cpu.utilisation_pct, cpu.memory_bytes, cpu.unavailable_reason) == (None, None,
                                                                               CPU_REASON)
    assert gpu_view(None, None).unavailable_reason == "no resource sample reported yet"


def test_gpu_figures_come_through_from_a_cuda_sample():
    view = gpu_view({"device": "cuda", "memory_bytes": 76_800_000_000,
                     "memory_total_bytes": 80_000_000_000, "utilisation_pct": 87.0}, AT)
    assert (view.utilisation_pct, view.memory_bytes, view.memory_total_bytes) == (
        87.0, 76_800_000_000, 80_000_000_000)
    assert view.unavailable_reason is None and view.at == AT
    no_nvml = gpu_view({"device": "cuda", "memory_bytes": 5, "utilisation_pct": None}, AT)
    assert no_nvml.memory_bytes == 5 and "NVML" in no_nvml.unavailable_reason
