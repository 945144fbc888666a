"""The report's charts as SVG from matplotlib: vectors in the PDF, and the same in the preview.

Text stays text (`svg.fonttype: none`), so the PDF's charts are sharp at any zoom and their
labels can be searched and extracted like the rest of the report.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt  # noqa: E402

from services.packaging.report.data import TrainingMetrics  # noqa: E402
from services.packaging.report.validation import Suite  # noqa: E402

BRAND = "#0f6e6e"
BASE = "#9aa5b1"
STYLE = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "brightrun"}


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or doctype


def loss_curves(metrics: TrainingMetrics) -> str | None:
    if not metrics.train and not metrics.eval:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        if metrics.train:
            ax.plot([p.step for p in metrics.train], [p.loss for p in metrics.train],
                    color=BRAND, linewidth=1.2, label="Training loss")
        if metrics.eval:
            ax.plot([p.step for p in metrics.eval], [p.val_loss for p in metrics.eval],
                    color="#d9822b", marker="o", markersize=3, linewidth=1.2,
                    label="Validation loss")
        ax.set_xlabel("Step")
        ax.set_ylabel("Loss")
        ax.legend(frameon=False)
        return _svg(fig)


def base_vs_trained(suite: Suite, ylabel: str) -> str | None:
    """Two bars: base and trained (perplexity, or accuracy for retention)."""
    if suite.base is None or suite.trained is None:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(3.2, 2.6))
        bars = ax.bar(["Base model", "Trained model"], [suite.base, suite.trained],
                      color=[BASE, BRAND], width=0.55)
        ax.bar_label(bars, fmt="%.2f", padding=2)
        ax.set_ylabel(ylabel)
        return _svg(fig)


def ei_sub_scores(suite: Suite) -> str | None:
    subs = [s for s in suite.sub_scores if s.trained is not None]
    if not subs:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.6, 2.6))
        x = range(len(subs))
        ax.bar([i - 0.18 for i in x], [s.base or 0 for s in subs], 0.36, color=BASE,
               label="Base model")
        ax.bar([i + 0.18 for i in x], [s.trained for s in subs], 0.36, color=BRAND,
               label="Trained model")
        ax.set_xticks(list(x), [s.dimension.replace("_", " ").capitalize() for s in subs])
        ax.set_ylim(0, 5)
        ax.set_ylabel("Score (1–5)")
        ax.legend(frameon=False, loc="lower right")
        return _svg(fig)


def brand_voice_radar(suite: Suite) -> str | None:
    traits = [c for c in suite.characteristics if c.score is not None]
    if len(traits) < 3:
        return None
    angles = [2 * math.pi * i / len(traits) for i in range(len(traits))]
    scores = [c.score for c in traits]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.4, 4.0), subplot_kw={"projection": "polar"})
        ax.plot([*angles, angles[0]], [*scores, scores[0]], color=BRAND, linewidth=1.5)
        ax.fill([*angles, angles[0]], [*scores, scores[0]], color=BRAND, alpha=0.2)
        ax.set_xticks(angles, [c.name[:22] for c in traits], fontsize=7)
        ax.set_ylim(0, 5)
        ax.set_yticks([1, 2, 3, 4, 5])
        return _svg(fig)
