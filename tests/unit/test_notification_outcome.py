"""services/notification/outcome.py: the configuration, metrics and cost a job's end carries."""

from __future__ import annotations

from services.notification import outcome

JOB = {"preset": "balanced", "model": {"name": "tiny-random-llama"}, "gpu_type": "H100-80GB",
       "gpu_count": 2, "pricing": "on_demand",
       "hyperparameters": {"epochs": 3, "learning_rate": 2e-4, "micro_batch_size": 4,
                           "grad_accumulation": 4},
       "lora": {"r": 16, "alpha": 32},
       "started_at": "2026-12-01T10:00:00+00:00", "finished_at": "2026-12-01T12:05:00+00:00"}


def test_configuration_and_metrics_read_as_facts():
    facts = dict(outcome.facts(JOB, {"step": 90, "total_steps": 90, "loss": 0.8123,
                                     "val_loss": 1.0}, {"final": {"total_cents": 2218}}))
    assert facts["Preset"] == "Balanced" and facts["Model"] == "tiny-random-llama"
    assert facts["GPU"] == "2 × H100-80GB (on-demand)"
    assert facts["LoRA rank"] == "r=16, alpha=32" and facts["Batch"] == "4 × 4"
    assert facts["Final loss"] == "0.8123" and facts["Validation perplexity"] == "2.72"
    assert facts["Duration"] == "2 h 05 min" and facts["Final cost"] == "$22.18"


def test_unsettled_cost_is_held_and_missing_services_are_left_out():
    pending = {"final": {"pending": True}}
    assert outcome.awaits_cost(pending) and outcome.awaits_cost({"final": None})
    assert dict(outcome.cost_fact(pending))["Final cost"] == outcome.COST_PENDING
    assert not outcome.awaits_cost(None) and outcome.cost_fact(None) == []
    assert outcome.facts(None, None, None) == []


def test_the_settled_figure_replaces_the_pending_one_and_leads_a_cancellation():
    facts, body = outcome.with_final_cost([("Job", "a"), ("Final cost", outcome.COST_PENDING)],
                                          "Loss not decreasing", "cancelled", 2218)
    assert facts == [("Job", "a"), ("Final cost", "$22.18")]
    assert body == "Job cancelled. Final cost: $22.18. Loss not decreasing"
    facts, body = outcome.with_final_cost([], "Done.", "completed", 5)
    assert facts == [("Final cost", "$0.05")] and body == "Done."


def test_measured_validation_suites_join_with_their_badges():
    view = {"suites": [
        {"suite": "perplexity", "status": "completed", "headline": "31.4% lower perplexity",
         "badge": "Significant improvement"},
        {"suite": "brand_voice", "status": "pending", "headline": "pending"}]}
    assert outcome.validation(view) == [
        ("Perplexity", "31.4% lower perplexity — Significant improvement")]
    assert outcome.validation(None) == []
