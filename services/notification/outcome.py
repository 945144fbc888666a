"""What a job's end says beyond its status (UJ5.1.2, UJ4.3.1): the configuration it ran with,
its final metrics and its final cost, as (label, value) facts. Plain Python, no I/O: `job` is
the jobs service's answer, `progress` monitoring's, `cost` the cost service's, `checks` the
validation service's (each None when it could not be asked; what is missing is left out, never
made up).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from services.notification.messages import SUITE_LABELS

FINAL_COST = "Final cost"
COST_PENDING = "being calculated (shown on the job page once the GPU is released)"
OUTCOMES = ("completed", "failed", "cancelled")


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def final_cost_cents(cost: dict[str, Any] | None) -> int | None:
    """The settled total, or None while the cost service has not settled the job."""
    final = (cost or {}).get("final") or {}
    return final.get("total_cents")


def awaits_cost(cost: dict[str, Any] | None) -> bool:
    """The cost service knows the job and will settle it: worth holding the message for."""
    return cost is not None and final_cost_cents(cost) is None


def configuration(job: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not job:
        return []
    hp, lora, model = job.get("hyperparameters") or {}, job.get("lora") or {}, job.get("model") or {}
    count = job.get("gpu_count") or 1
    gpu = f"{count} × {job['gpu_type']}" if count > 1 else job.get("gpu_type", "")
    facts = [("Preset", str(job.get("preset", "")).capitalize()),
             ("Model", model.get("name", "")),
             ("GPU", f"{gpu} ({str(job.get('pricing', '')).replace('_', '-')})"),
             ("Epochs", str(hp.get("epochs", ""))),
             ("Learning rate", f"{hp['learning_rate']:g}" if "learning_rate" in hp else ""),
             ("LoRA rank", f"r={lora.get('r')}, alpha={lora.get('alpha')}" if lora else ""),
             ("Batch", f"{hp.get('micro_batch_size')} × {hp.get('grad_accumulation')}"
              if "micro_batch_size" in hp else "")]
    return [(k, v) for k, v in facts if v]


def metrics(job: dict[str, Any] | None, progress: dict[str, Any] | None
            ) -> list[tuple[str, str]]:
    p, facts = progress or {}, []
    if p.get("total_steps"):
        facts.append(("Steps", f"{p.get('step', 0):,} of {p['total_steps']:,}"))
    if p.get("loss") is not None:
        facts.append(("Final loss", f"{p['loss']:.4f}"))
    if p.get("val_loss") is not None:
        facts.append(("Validation loss", f"{p['val_loss']:.4f}"))
        facts.append(("Validation perplexity", f"{math.exp(min(p['val_loss'], 50)):.2f}"))
    if job and job.get("started_at") and job.get("finished_at"):
        took = _at(job["finished_at"]) - _at(job["started_at"])
        facts.append(("Duration", _hours_minutes(took.total_seconds())))
    return facts


def cost_fact(cost: dict[str, Any] | None) -> list[tuple[str, str]]:
    if cost is None:
        return []  # no cost service answered: nothing to say about money
    cents = final_cost_cents(cost)
    return [(FINAL_COST, dollars(cents) if cents is not None else COST_PENDING)]


def validation(view: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The validation suites measured so far, each its headline and badge (UJ5.2.1)."""
    return [(SUITE_LABELS.get(s["suite"], s["suite"]),
             s["headline"] + (f" — {s['badge']}" if s.get("badge") else ""))
            for s in (view or {}).get("suites", [])
            if s.get("status") in ("completed", "partial") and s.get("headline")]


def facts(job: dict[str, Any] | None, progress: dict[str, Any] | None,
          cost: dict[str, Any] | None, checks: dict[str, Any] | None = None
          ) -> list[tuple[str, str]]:
    return [*configuration(job), *metrics(job, progress), *validation(checks), *cost_fact(cost)]


def with_final_cost(row_facts: list, body: str, trigger: str, cents: int
                    ) -> tuple[list[tuple[str, str]], str]:
    """A held notification once the cost is settled: the figure in place of "being
    calculated", and a cancellation says it in its first line (UJ4.3.1)."""
    figure = dollars(cents)
    new = [(k, figure if k == FINAL_COST else v) for k, v in row_facts]
    if FINAL_COST not in dict(new):
        new.append((FINAL_COST, figure))
    return new, cancelled_body(body, figure) if trigger == "cancelled" else body


def cancelled_body(body: str, figure: str) -> str:
    return f"Job cancelled. Final cost: {figure}. {body}".strip()


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _hours_minutes(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
