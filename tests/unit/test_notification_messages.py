"""What notifications say, and their email and Slack Block Kit shapes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from proto.cost import BudgetAlertRaised
from proto.jobs import JobStatusChanged
from services.notification.messages import draft, email_message, slack_payload

GATEWAY = "https://brightrun.example.com"
JOB = uuid.uuid4()
FAILED_JOB = {"name": "Advisor v3", "error": {
    "failure_class": "out_of_memory", "message": "CUDA out of memory at step 120", "step": 120,
    "suggested_fix": "Halve micro_batch_size to 2."}}


def row(trigger: str, event, job=None) -> dict:
    d = draft(trigger, event, job, GATEWAY)
    return {"id": uuid.uuid4(), "trigger": d.trigger, "severity": d.severity, "title": d.title,
            "body": d.body, "facts": d.facts, "links": d.links, "destination": "ops@example.com",
            "created_at": datetime(2026, 11, 25, tzinfo=UTC)}


def failed() -> JobStatusChanged:
    return JobStatusChanged(job_id=JOB, status="failed", previous="training", message="boom")


def test_completion_names_the_job_and_links_details_and_adapter():
    d = draft("completed", JobStatusChanged(job_id=JOB, status="completed"), {"name": "Advisor v3"},
              GATEWAY)
    assert d.title == "Training Job Completed: Advisor v3" and d.severity == "success"
    assert d.links == {"details": f"{GATEWAY}/#/jobs/{JOB}",
                       "adapter": f"{GATEWAY}/api/v1/jobs/{JOB}/artifacts/adapter"}


def test_failure_carries_error_details_suggested_fix_and_retry_link():
    d = draft("failed", failed(), FAILED_JOB, GATEWAY)
    assert d.title == "Training Job Failed: Advisor v3" and d.body == "CUDA out of memory at step 120"
    assert ("Failure", "out_of_memory") in d.facts and ("Step", "120") in d.facts
    assert ("Suggested fix", "Halve micro_batch_size to 2.") in d.facts
    assert d.links["retry"] == f"{GATEWAY}/api/v1/jobs/{JOB}/retry"


def test_without_the_job_record_the_status_message_and_id_stand_in():
    d = draft("failed", failed(), None, GATEWAY)
    assert d.body == "boom" and str(JOB) in d.title


def test_email_has_a_stable_message_id_and_the_retry_command():
    r = row("failed", failed(), FAILED_JOB)
    msg = email_message(r, "Bright Run <br@example.com>", f"<{r['id']}@notification.brightrun>")
    assert msg["Message-ID"] == f"<{r['id']}@notification.brightrun>"
    assert msg["Subject"] == "Training Job Failed: Advisor v3" and msg["To"] == "ops@example.com"
    assert f"curl -X POST {GATEWAY}/api/v1/jobs/{JOB}/retry" in msg.get_content()


def test_slack_payload_is_block_kit_with_fallback_text_and_buttons():
    payload = slack_payload(row("failed", failed(), FAILED_JOB))
    assert payload["text"] == "Training Job Failed: Advisor v3"
    types = [b["type"] for b in payload["blocks"]]
    assert types == ["header", "section", "section", "actions", "section", "context"]
    header, body, fields, actions = payload["blocks"][:4]
    assert header["text"] == {"type": "plain_text", "text": "Training Job Failed: Advisor v3"}
    assert body["text"]["type"] == "mrkdwn" and ":x:" in body["text"]["text"]
    assert {"type": "mrkdwn", "text": "*Failure*\nout_of_memory"} in fields["fields"]
    assert [e["url"] for e in actions["elements"]] == [f"{GATEWAY}/#/jobs/{JOB}"]


def test_slack_payload_respects_block_kit_limits():
    long = JobStatusChanged(job_id=JOB, status="failed", message="x" * 5000)
    payload = slack_payload(row("failed", long, {"name": "n" * 400}))
    header, body = payload["blocks"][:2]
    assert len(header["text"]["text"]) <= 150 and len(body["text"]["text"]) <= 3000
    assert all(len(b.get("fields", [])) <= 10 for b in payload["blocks"])


def test_budget_alert_has_no_job_and_shows_dollars():
    event = BudgetAlertRaised(month="2026-11", threshold_pct=80, spent_cents=40_000,
                              limit_cents=50_000, message="80% of the November budget is spent.")
    d = draft("budget_alert", event, None, GATEWAY)
    assert d.title == "Budget alert: 80% of 2026-11" and d.links == {}
    assert ("Spent", "$400.00") in d.facts and ("Monthly limit", "$500.00") in d.facts


def test_no_gpu_notice_says_how_long_this_gpu_type_took_to_come_back():
    job = {"name": "Advisor v3", "gpu_wait": {"typical_return": {
        "median_s": 1200.0, "count": 3,
        "text": "typically available again within 20 minutes (median of 3 past waits here)"}}}
    d = draft("gpu_unavailable", JobStatusChanged(job_id=JOB, status="waiting_for_gpu"), job,
              GATEWAY)
    assert ("GPUs of this type here",
            "typically available again within 20 minutes (median of 3 past waits here)") in d.facts


def test_many_facts_spread_over_slack_sections_of_ten_fields():
    r = row("completed", JobStatusChanged(job_id=JOB, status="completed"), {"name": "a"})
    r["facts"] = [(f"Fact {i}", str(i)) for i in range(14)]
    sections = [b for b in slack_payload(r)["blocks"] if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 4]
