"""What a notification says, and how it looks as an email and as a Slack Block Kit message.

Plain Python, no I/O. `job` is what the jobs service answered about the job (name, error), or
None when it could not be asked: a notification still goes out, naming the job by its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from proto.cost import BudgetAlertRaised, CostAlertRaised, CostCapReached
from proto.jobs import JobStatusChanged, StageStuck
from proto.notification import Severity, Trigger
from proto.reports import ReportReady, ShareCreated, ShareViewed
from proto.validation import ValidationCompleted, ValidationFailed

SEVERITY: dict[Trigger, Severity] = {
    "job_started": "info", "stage_changed": "info", "interrupted": "warning",
    "recovered": "success", "stage_stuck": "warning", "gpu_unavailable": "warning",
    "completed": "success", "failed": "error", "cancelled": "warning", "cost_alert": "warning", "budget_alert": "warning",
    "report_ready": "success", "report_shared": "info", "share_viewed": "info",
    "validation_done": "success", "validation_failed": "warning",
}
EMOJI = {"info": ":information_source:", "success": ":white_check_mark:",
         "warning": ":warning:", "error": ":x:"}


@dataclass(frozen=True)
class Draft:
    trigger: Trigger
    severity: Severity
    title: str
    body: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def job_links(gateway_url: str, job_id: Any, trigger: Trigger) -> dict[str, str]:
    base = gateway_url.rstrip("/")
    links = {"details": f"{base}/#/jobs/{job_id}"}
    if trigger == "completed":
        links["adapter"] = f"{base}/api/v1/jobs/{job_id}/artifacts/adapter"
    if trigger == "gpu_unavailable":
        # UJ2.1.2: each option is one POST with {"choice": "auto_retry"|"on_demand"|"cancel"}.
        links["choose"] = f"{base}/api/v1/jobs/{job_id}/gpu-choice"
    if trigger in ("failed", "cancelled"):
        # UJ5.1.2 "retry options": the API's retry (POST) makes a new job with the fix applied.
        links["retry"] = f"{base}/api/v1/jobs/{job_id}/retry"
    return links


def draft(trigger: Trigger, event: Any, job: dict[str, Any] | None, gateway_url: str) -> Draft:
    severity = SEVERITY[trigger]
    if isinstance(event, BudgetAlertRaised):
        return Draft(trigger, severity, f"Budget alert: {event.threshold_pct}% of {event.month}",
                     event.message, [("Spent", dollars(event.spent_cents)),
                                     ("Monthly limit", dollars(event.limit_cents))])
    name = (job or {}).get("name") or getattr(event, "job_name", "") or f"job {event.job_id}"
    if isinstance(event, ReportReady | ShareCreated | ShareViewed):
        return _report_draft(trigger, severity, event, name, gateway_url)
    if isinstance(event, ValidationCompleted | ValidationFailed):
        return _validation_draft(trigger, severity, event, name, gateway_url)
    title, body, facts = _job_text(trigger, event, name, job)
    return Draft(trigger, severity, title, body, [("Job", name), *facts],
                 job_links(gateway_url, event.job_id, trigger))


def _job_text(trigger: Trigger, event: Any, name: str, job: dict[str, Any] | None
              ) -> tuple[str, str, list[tuple[str, str]]]:
    if isinstance(event, CostAlertRaised):
        return (f"Cost alert: {name} at {event.threshold_pct}% of its estimate", event.message,
                [("Spend", dollars(event.spend_cents)), ("Estimate", dollars(event.estimate_cents))])
    if isinstance(event, CostCapReached):
        return (f"Cost cap reached: {name}", event.message,
                [("Spend", dollars(event.spend_cents)), ("Cap", dollars(event.cap_cents))])
    if isinstance(event, StageStuck):
        return (f"Stage taking long: {name}", event.message, [("Stage", event.stage)])
    assert isinstance(event, JobStatusChanged)
    if trigger == "failed":
        return _failure_text(event, name, (job or {}).get("error") or {})
    titles = {
        "job_started": f"Training job started: {name}",
        "interrupted": f"Training interrupted: {name}",
        "recovered": f"Training recovered: {name}",
        "gpu_unavailable": f"No GPU available for {name}: choose how to go on",
        "completed": f"Training Job Completed: {name}",
        "cancelled": f"Training job cancelled: {name}",
        "stage_changed": f"{name}: {event.status.replace('_', ' ')}",
    }
    facts = [("Status", event.status)]
    back = ((job or {}).get("gpu_wait") or {}).get("typical_return") or {}
    if trigger == "gpu_unavailable" and back.get("text"):
        facts.append(("GPUs of this type here", back["text"]))  # UJ2.1.2 historical data
    return titles[trigger], event.message or f"Status: {event.status}.", facts


def _failure_text(event: JobStatusChanged, name: str, error: dict[str, Any]
                  ) -> tuple[str, str, list[tuple[str, str]]]:
    facts = [("Status", "failed")]
    if error.get("failure_class"):
        facts.append(("Failure", str(error["failure_class"])))
    if error.get("step") is not None:
        facts.append(("Step", str(error["step"])))
    body = error.get("message") or event.message or "Training failed."
    if error.get("suggested_fix"):
        facts.append(("Suggested fix", str(error["suggested_fix"])))
    return f"Training Job Failed: {name}", body, facts


# --- Renderings ----------------------------------------------------------------------------------

LINK_LABELS = {"details": "View details", "adapter": "Download adapter",
               "validation": "View validation",
               "report": "Download report (PDF)", "share": "Open shared results",
               "retry": "Retry (POST)",
               "choose": "Choose: auto_retry, on_demand or cancel (POST)"}
POST_LINKS = {"retry", "choose"}  # API calls, not pages: no Slack button can POST them


def plain_text(title: str, body: str, facts: list, links: dict[str, str]) -> str:
    lines = [title, "", body, ""]
    lines += [f"{label}: {value}" for label, value in facts]
    if links:
        lines.append("")
        lines += [f"{LINK_LABELS.get(k, k)}: {url}" for k, url in links.items()]
    if "retry" in links:
        lines.append(f"  (to retry: curl -X POST {links['retry']})")
    return "\n".join(lines) + "\n"


def email_message(row: dict[str, Any], sender: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = row["title"]
    msg["From"] = sender
    msg["To"] = row["destination"]
    msg["Date"] = formatdate(row["created_at"].timestamp(), usegmt=True)
    msg["Message-ID"] = message_id
    msg["X-Brightrun-Notification-Id"] = str(row["id"])
    msg.set_content(plain_text(row["title"], row["body"], row["facts"], row["links"]))
    return msg


def slack_payload(row: dict[str, Any]) -> dict[str, Any]:
    """An incoming-webhook body: `text` is the fallback for notifications, `blocks` the message.

    Block Kit limits: header 150 chars, section text 3000, at most 10 fields, button text 75.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": row["title"][:150]}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"{EMOJI[row['severity']]} {row['body']}"[:3000]}},
    ]
    for first in range(0, min(len(row["facts"]), 40), 10):  # a section holds 10 fields
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:2000]}
            for label, value in row["facts"][first:first + 10]]})
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": LINK_LABELS.get(k, k)},
                "url": url, "action_id": f"brightrun-{k}"}
               for k, url in row["links"].items() if k not in POST_LINKS]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    if "retry" in row["links"]:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": f"Retry: `curl -X POST {row['links']['retry']}`"}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"Bright Run · {row['trigger']} · notification {row['id']}"}]})
    return {"text": row["title"], "blocks": blocks}


# --- The validation report and its share links (UJ5.3.1, UJ5.3.2) -------------------------------


def _report_draft(trigger: Trigger, severity: Severity, event: Any, name: str,
                  gateway_url: str) -> Draft:
    links = {"details": f"{gateway_url.rstrip('/')}/#/jobs/{event.job_id}"}
    if isinstance(event, ReportReady):
        links["report"] = (f"{gateway_url.rstrip('/')}/api/v1/jobs/{event.job_id}/report.pdf"
                           f"?version={event.version}")
        note = " Simplified version: charts left out to finish in time." if event.simplified else ""
        return Draft(trigger, severity, f"Validation report ready: {name}",
                     f"Version {event.version} of the report is ready ({event.pages} pages).{note}",
                     [("Job", name), ("Version", str(event.version))], links)
    if isinstance(event, ShareCreated):
        to = ", ".join(r.email for r in event.recipients) or "no one by email (link only)"
        return Draft(trigger, severity, f"Validation results shared: {name}",
                     event.summary or "A view-only link to the validation results was created.",
                     [("Job", name), ("Sent to", to), ("Expires", f"{event.expires_at:%Y-%m-%d}")],
                     {**links, "share": event.url})
    who = event.recipient or "someone with the public link"
    return Draft(trigger, severity, f"Your shared results were opened: {name}",
                 f"{who} opened the validation results you shared (first view).",
                 [("Job", name), ("Viewed by", who), ("At", f"{event.viewed_at:%Y-%m-%d %H:%M} UTC")],
                 links)


def recipient_draft(event: ShareCreated, url: str) -> Draft:
    """The email a share's recipient gets: the results in plain words and their own link."""
    name = event.job_name or "a fine-tuned model"
    return Draft("report_shared", "info", f"Validation results shared with you: {name}",
                 (event.summary or f"The validation results of {name}.")
                 + f"\n\nThe link is view-only and works until {event.expires_at:%d %B %Y}.",
                 [("Model", name), ("Expires", f"{event.expires_at:%Y-%m-%d}")], {"share": url})


# --- Validation done (issue 12) ------------------------------------------------------------------

SUITE_LABELS = {"perplexity": "Perplexity", "emotional_intelligence": "Emotional intelligence",
                "knowledge_retention": "Knowledge retention", "brand_voice": "Brand voice"}


def _validation_draft(trigger: Trigger, severity: Severity, event: Any, name: str,
                      gateway_url: str) -> Draft:
    base = gateway_url.rstrip("/")
    links = {"details": f"{base}/#/jobs/{event.job_id}",
             "validation": f"{base}/api/v1/jobs/{event.job_id}/validation"}
    if isinstance(event, ValidationFailed):
        rerun = f"{base}/api/v1/jobs/{event.job_id}/validation/rerun"
        return Draft(trigger, severity, f"Validation failed: {name}",
                     f"{event.reason}. The trained adapter is kept. To re-run: POST {rerun} "
                     f"with {json.dumps({'suites': list(event.rerun_suites)})}.",
                     [("Job", name), ("Validation run", str(event.run))], links)
    facts = [(SUITE_LABELS.get(h.suite, h.suite),
              h.headline + (f" — {h.badge}" if h.badge else "")) for h in event.headlines]
    return Draft(trigger, severity, f"Validation done: {name}",
                 "Every validation suite has its result; the headline figures are below.",
                 [("Job", name), *facts], links)
