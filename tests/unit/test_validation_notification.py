"""The "validation done" notification (issue 12): its trigger, on by default, with the
headline figures of every suite; a failed validation says the adapter is kept and how to re-run."""

from __future__ import annotations

import uuid

from proto.validation import SuiteHeadline, ValidationCompleted, ValidationFailed
from services.notification import domain, messages


def test_validation_done_carries_every_suites_headline_on_all_channels():
    event = ValidationCompleted(job_id=uuid.uuid4(), run=1, headlines=[
        SuiteHeadline(suite="perplexity", status="completed", badge="Production Ready",
                      headline="31.4% lower perplexity (24.5 → 16.8)"),
        SuiteHeadline(suite="knowledge_retention", status="completed", badge="Passed",
                      headline="98% knowledge retained (85% vs 87%)")])
    trigger = domain.trigger_of(event)
    assert trigger == "validation_done" and trigger in domain.DEFAULT_TRIGGERS
    prefs = domain.effective(None)
    prefs = domain.Effective(channels=prefs.channels, triggers=prefs.triggers, stages=(),
                             email_to="a@b.co", slack_webhook_url="https://hooks.slack.com/x")
    assert set(domain.destinations(trigger, event, prefs)) == {"in_app", "email", "slack"}
    draft = messages.draft(trigger, event, {"name": "Advisor v2"}, "http://gw")
    assert draft.title == "Validation done: Advisor v2" and draft.severity == "success"
    assert ("Perplexity", "31.4% lower perplexity (24.5 → 16.8) — Production Ready") in draft.facts
    assert draft.links["validation"].endswith(f"/api/v1/jobs/{event.job_id}/validation")
    text = messages.plain_text(draft.title, draft.body, draft.facts, draft.links)
    assert "View validation:" in text and "98% knowledge retained" in text


def test_validation_failed_keeps_the_adapter_and_offers_the_rerun():
    event = ValidationFailed(job_id=uuid.uuid4(), run=2, reason="validation failed: perplexity: x",
                             rerun_suites=["perplexity"])
    draft = messages.draft(domain.trigger_of(event), event, None, "http://gw")
    assert draft.severity == "warning" and "adapter is kept" in draft.body
    assert '{"suites": ["perplexity"]}' in draft.body and "/validation/rerun" in draft.body
