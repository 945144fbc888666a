"""The comparison as a PDF (UJ6.4.1 "Export comparison as PDF"): one plain HTML page — the
overlaid loss curves, the metrics table, the differences, the winner and its rule — printed by
WeasyPrint. The full report engine (report/) is for single jobs; this stays one page of HTML."""

from __future__ import annotations

import html
import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt  # noqa: E402

from proto.comparisons import Comparison, MetricsRow  # noqa: E402

COLOURS = ["#2563eb", "#d9480f", "#1a7f37", "#8250df"]  # one per job, in the console's order
STYLE = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "brightrun"}
CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font: 10pt 'DejaVu Sans', sans-serif; color: #1b1f24; }
h1 { font-size: 17pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 6pt; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #d8dee4; padding: 3pt 5pt; text-align: left; }
th { color: #57606a; } tr.winner td { background: #e3f4e8; font-weight: bold; }
.warn { background: #fff4d4; border: 1px solid #ecd38a; padding: 6pt; margin: 6pt 0; }
.win { background: #e3f4e8; border: 1px solid #a7d8b5; padding: 6pt; margin: 6pt 0; }
.muted { color: #57606a; font-size: 8.5pt; } svg { width: 100%; height: auto; }
"""


def loss_chart(comparison: Comparison) -> str:
    """Every job's training loss (solid) and validation loss (dashed, dots) on one chart."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 3.0))
        for i, s in enumerate(comparison.series):
            colour = COLOURS[i % len(COLOURS)]
            if s.train:
                ax.plot([p[0] for p in s.train], [p[1] for p in s.train], color=colour,
                        linewidth=1.2, label=f"{s.name} (training)")
            if s.eval:
                ax.plot([p[0] for p in s.eval], [p[1] for p in s.eval], color=colour,
                        linestyle="--", marker="o", markersize=3, linewidth=1,
                        label=f"{s.name} (validation)")
        ax.set_xlabel("Step")
        ax.set_ylabel("Loss")
        ax.legend(frameon=False, fontsize=7)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _fmt(value: float | None, digits: int = 4, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def _money(row: MetricsRow) -> str:
    if row.cost_cents is None:
        return "—"
    return f"${row.cost_cents / 100:,.2f}" + ("" if row.cost_final else " (so far)")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    h, m = divmod(round(seconds) // 60, 60)
    return f"{h}h {m}m" if h else f"{m}m {round(seconds) % 60}s"


def render_html(comparison: Comparison, chart_svg: str) -> str:
    e = html.escape
    head = ("<tr><th>Job</th><th>Final training loss</th><th>Final validation loss</th>"
            "<th>Perplexity improvement</th><th>EI improvement</th><th>Retention</th>"
            "<th>Quality</th><th>Cost</th><th>Duration</th><th>Quality per $</th></tr>")
    rows = "".join(
        f"<tr class='{'winner' if r.is_winner else ''}'><td>{e(r.name)}</td>"
        f"<td>{_fmt(r.final_train_loss)}</td><td>{_fmt(r.final_val_loss)}</td>"
        f"<td>{_fmt(r.perplexity_improvement_pct, 1, '%')}</td>"
        f"<td>{_fmt(r.ei_improvement_pct, 1, '%')}</td><td>{_fmt(r.retention_pct, 1, '%')}</td>"
        f"<td>{_fmt(r.quality_pct, 1, '%')}</td><td>{_money(r)}</td>"
        f"<td>{_duration(r.duration_s)}</td><td>{_fmt(r.quality_per_dollar, 1)}</td></tr>"
        for r in comparison.table)
    names = [e(r.name) for r in comparison.table]
    diffs = "".join(f"<tr><td>{e(d.label)}</td>" + "".join(f"<td>{e(v)}</td>" for v in d.values)
                    + "</tr>" for d in comparison.differences)
    diff_table = (f"<table><tr><th>Setting</th>{''.join(f'<th>{n}</th>' for n in names)}</tr>"
                  f"{diffs}</table>" if diffs else "<p>The jobs' configurations are identical.</p>")
    winner = (f"<div class='win'><b>{e(comparison.winner.headline)}</b></div>"
              if comparison.winner else "<div class='warn'>No winner: no job both improved "
              "and has a known cost.</div>")
    warnings = "".join(f"<div class='warn'>⚠ {e(w)}</div>" for w in comparison.warnings)
    notes = "".join(f"<p class='muted'>{e(n)}</p>" for n in comparison.notes)
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head><body>"
            f"<h1>Training run comparison</h1><p class='muted'>{' · '.join(names)}</p>"
            f"{warnings}{winner}<p class='muted'>{e(comparison.rule)}</p>"
            f"<h2>Loss curves</h2>{chart_svg}"
            f"<h2>Metrics</h2><table>{head}{rows}</table>"
            f"<p class='muted'>Quality: {e(comparison.quality_label)}.</p>{notes}"
            f"<h2>Configuration differences</h2>{diff_table}</body></html>")


def render_pdf(comparison: Comparison) -> bytes:
    import weasyprint  # imported here: Pango loads once, in the process that renders

    return weasyprint.HTML(string=render_html(comparison, loss_chart(comparison))).write_pdf()
