"""Comparison rules (services/packaging/comparison.py): the winner by quality per dollar, the
not-comparable warning, the errors for a bad selection."""

from __future__ import annotations

import uuid

import pytest

from proto.api import ServiceError
from services.packaging.comparison import compare
from services.packaging.comparison_inputs import JobInputs

FILE = uuid.uuid4()


def job(name: str, *, file=FILE, model="embedded:smollm2-135m-instruct", r=16, lr=2e-4,
        status="completed") -> dict:
    return {"id": uuid.uuid4(), "name": name, "status": status, "training_file_id": file,
            "training_file_name": f"file-{file}"[:13], "preset": "balanced",
            "model": {"name": model}, "lora": {"r": r, "alpha": 32, "dropout": 0.05},
            "hyperparameters": {"learning_rate": lr, "epochs": 3},
            "gpu_type": "H100-80GB", "pricing": "spot", "gpu_count": 1,
            "started_at": "2026-01-01T10:00:00+00:00", "finished_at": "2026-01-01T11:30:00+00:00"}


def run(j: dict, losses, vals=(), cents: int | None = 100, ppl: float | None = None) -> JobInputs:
    metrics = {"train": [{"step": i + 1, "loss": v} for i, v in enumerate(losses)],
               "eval": [{"step": i + 1, "val_loss": v} for i, v in enumerate(vals)]}
    cost = None if cents is None else {"spend_cents": cents,
                                       "final": {"total_cents": cents, "pending": False}}
    validation = None if ppl is None else {"suites": {"perplexity": {
        "status": "completed", "figures": {"improvement_pct": ppl, "badge": "Production Ready"}}}}
    return JobInputs(job=j, metrics=metrics, cost=cost, validation=validation)


def test_the_cheaper_run_wins_when_quality_per_dollar_is_higher():
    a, b = job("Run A"), job("Run B", r=32)
    # A: 40% lower validation loss for $4.00 = 10/$; B: 50% for $10.00 = 5/$.
    result = compare([run(a, [2, 1], [2.0, 1.2], cents=400), run(b, [2, 1], [2.0, 1.0], cents=1000)])
    assert result.quality_source == "validation_loss"
    assert result.winner.job_id == a["id"]
    assert result.winner.headline.startswith("Run A: best quality/cost ratio (40.0%")
    assert [r.quality_per_dollar for r in result.table] == [10.0, 5.0]
    assert [r.is_winner for r in result.table] == [True, False]
    assert "quality per dollar" in result.rule and "$0.01" in result.rule
    assert result.comparable and result.warnings == []
    assert [(d.field, d.values) for d in result.differences] == [("lora.r", ["16", "32"])]
    assert result.table[0].duration_s == 5400.0


def test_validation_perplexity_is_the_quality_when_every_job_has_it():
    a, b = job("A"), job("B")
    result = compare([run(a, [2, 1], cents=100, ppl=35.0), run(b, [2, 1.9], cents=100, ppl=20.0)])
    assert result.quality_source == "validation_perplexity"
    assert result.winner.job_id == a["id"] and result.notes == []


def test_without_validation_for_one_job_quality_falls_back_and_the_notes_say_so():
    a, b = job("A"), job("B")
    result = compare([run(a, [2, 1], [2, 1.5], ppl=35.0), run(b, [2, 1], [2, 1.0])])
    assert result.quality_source == "validation_loss"
    assert result.winner.job_id == b["id"]
    assert any("no validation perplexity for B" in n for n in result.notes)


def test_a_free_run_counts_as_one_cent_and_a_run_that_got_worse_cannot_win():
    a, b = job("Free"), job("Worse")
    result = compare([run(a, [2, 1.9], cents=0), run(b, [2, 3], cents=0)])
    assert result.quality_source == "training_loss"
    assert result.table[0].quality_per_dollar == 500.0  # 5% / $0.01
    assert result.winner.name == "Free" and "for free" in result.winner.headline
    worse_only = compare([run(job("W1"), [2, 3]), run(job("W2"), [2, 2.5])])
    assert worse_only.winner is None


def test_different_training_files_or_base_models_are_flagged_not_comparable():
    other_file = job("B", file=uuid.uuid4())
    result = compare([run(job("A"), [2, 1]), run(other_file, [2, 1])])
    assert not result.comparable
    assert result.warnings[0].startswith("Not comparable: the jobs trained on different training files")
    other_model = job("C", model="tiny-random-llama")
    result = compare([run(job("A"), [2, 1]), run(other_model, [2, 1])])
    assert not result.comparable and "different base models" in result.warnings[0]
    assert ("model", ["embedded:smollm2-135m-instruct", "tiny-random-llama"]) in [
        (d.field, d.values) for d in result.differences]


def test_an_unfinished_job_is_a_warning_but_still_comparable():
    result = compare([run(job("A"), [2, 1]), run(job("B", status="training"), [2, 1.5])])
    assert result.comparable and result.warnings == ["B is training: its figures are not final."]


@pytest.mark.parametrize("count", [1, 5])
def test_one_or_five_jobs_are_refused_with_how_to_fix(count):
    with pytest.raises(ServiceError) as caught:
        compare([run(job(f"J{i}"), [2, 1]) for i in range(count)])
    assert caught.value.error.status == 422 and caught.value.error.code == "comparison_size"
    assert "between 2 and 4" in caught.value.error.how_to_fix


def test_a_job_without_metrics_is_refused():
    with pytest.raises(ServiceError) as caught:
        compare([run(job("A"), [2, 1]), run(job("Empty", status="queued"), [])])
    assert caught.value.error.code == "job_has_no_metrics" and "Empty" in caught.value.error.message


def test_an_unknown_cost_ranks_no_job_by_cost():
    result = compare([run(job("A"), [2, 1], cents=None), run(job("B"), [2, 1.5], cents=100)])
    assert result.winner.name == "B"
    assert any("A: no cost recorded" in n for n in result.notes)
