"""What the report says in plain language, and the rules around it. No I/O.

The executive summary is for a client, not an engineer: each headline figure in a sentence,
its badge, and what it means for them. Figures come from the validation service as measured;
a suite that did not run says "not run" and nothing is made up in its place.
"""

from __future__ import annotations

from proto.api import ServiceError
from services.packaging.report.data import CostFigures, ReportData
from services.packaging.report.validation import Example, Suite, ValidationFigures

BEST_EXAMPLES = 10  # UJ5.3.1: "Before/after examples (10 best improvements)"
TITLES = {"perplexity": "Perplexity", "emotional_intelligence": "Emotional intelligence",
          "knowledge_retention": "Knowledge retention", "brand_voice": "Brand voice"}
MEANING = {
    "perplexity": "The trained model predicts your expert's own replies more confidently than the "
                  "base model: it has learned how your conversations go.",
    "emotional_intelligence": "Clients get answers that acknowledge how they feel, explain "
                              "clearly and stay appropriate, more often than from the base model.",
    "knowledge_retention": "The model kept the general financial knowledge it started with: "
                           "specialising did not make it forget the basics.",
    "brand_voice": "Answers sound like your practice: its principles and ways of speaking, "
                   "without the phrases it avoids.",
}


def dollars(cents: int | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.2f}"


def figure(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


def headline(suite: Suite) -> str:
    """One sentence per suite: the service's own headline where it gave one."""
    if not suite.ran:
        return f"{TITLES[suite.name]}: {suite.state.lower()}."
    if suite.status == "failed":
        return f"{TITLES[suite.name]}: unable to calculate ({suite.message or 'failed'})."
    if suite.headline:
        return f"{TITLES[suite.name]}: {suite.headline}"
    if suite.name == "perplexity":
        text = (f"{figure(suite.change_pct)}% lower perplexity "
                f"({figure(suite.base, 2)} → {figure(suite.trained, 2)})")
    elif suite.name == "emotional_intelligence":
        text = (f"{figure(suite.change_pct)}% higher EI score "
                f"({figure(suite.base, 2)} → {figure(suite.trained, 2)} of 5)")
    elif suite.name == "knowledge_retention":
        text = (f"{figure(suite.change_pct)}% of base knowledge retained "
                f"({figure(suite.base)}% → {figure(suite.trained)}% correct)")
    else:
        text = f"{figure(suite.change_pct)}% brand alignment"
    return f"{TITLES[suite.name]}: {text}."


def summary_text(data: ReportData) -> str:
    """The "copy summary" text: what a founder pastes into an email or a chat."""
    lines = [f"Bright Run validation report: {data.job.name}"]
    for suite in data.validation.suites:
        badge = f" [{suite.badge}]" if suite.ran and suite.badge else ""
        lines.append(f"- {headline(suite)}{badge}")
    if data.cost is not None:
        label = "Total cost" if data.cost.final else "Cost so far"
        lines.append(f"- {label}: {dollars(data.cost.total_cents)}")
    return "\n".join(lines)


def cost_rows(cost: CostFigures) -> list[tuple[str, str]]:
    rows = [("Compute", dollars(cost.compute_cents)),
            ("Interruption overhead", dollars(cost.interruption_overhead_cents)),
            ("Storage", dollars(cost.storage_cents))] if cost.final else []
    rows.append(("Total" if cost.final else "Spend so far (final cost not settled)",
                 dollars(cost.total_cents)))
    if cost.estimate_cents is not None:
        rows.append(("Estimate", dollars(cost.estimate_cents)))
    if cost.variance_pct is not None:
        rows.append(("Variance from estimate", f"{cost.variance_pct:+.1f}%"))
    return rows


def best_examples(validation: ValidationFigures, n: int = BEST_EXAMPLES
                  ) -> tuple[list[Example], str]:
    """The n examples with the largest score gain, and a sentence saying how they were chosen."""
    scored = [e for e in validation.examples if e.gain is not None]
    if scored:
        picked = sorted(scored, key=lambda e: (-e.gain, e.scenario_id))[:n]
        return picked, (f"The {len(picked)} held-out scenarios whose score rose the most "
                        f"from the base model to the trained one.")
    unscored = [e for e in validation.examples if e.base_answer and e.trained_answer]
    if unscored:
        picked = unscored[:n]
        return picked, (f"No scores yet: the first {len(picked)} held-out scenarios in the "
                        "validation set's order, not a selection by quality.")
    return [], "No before/after answers: the emotional-intelligence suite has not run."


def check_can_generate(job_status: str, validation: ValidationFigures, partial: bool) -> None:
    """409 before validation ends, unless the user asks for a partial report."""
    if partial:
        return
    if job_status in ("completed", "failed", "cancelled") and validation.finished:
        return
    waiting = "the job is still " + job_status.replace("_", " ") if job_status not in (
        "completed", "failed", "cancelled") else f"validation is {validation.status.replace('_', ' ')}"
    raise ServiceError(
        "validation_in_progress", f"The report cannot be final yet: {waiting}.",
        "Wait until validation ends (a notification says when), or ask for a partial report "
        "with ?partial=true: suites not finished show as such.",
        {"job_status": job_status, "validation_status": validation.status}, 409)
