"""From ReportData to HTML (preview, share dashboard) and to the PDF, within a time limit.

UJ5.3.1: the PDF is ready in under 30 s; on a timeout, a simplified version (no charts) is made
instead, with a note saying so. Rendering runs in a worker thread so the service's event loop
keeps answering; a full render that overruns is abandoned (a thread cannot be stopped, so it
finishes in the background and its result is dropped).
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from services.packaging.report import charts as chart
from services.packaging.report import summary
from services.packaging.report.data import ReportData

PDF_URL_PLACEHOLDER = "__BRIGHTRUN_REPORT_PDF_URL__"  # a share page fills in its own link
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True,
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    html: str  # the preview: the PDF's own source
    dashboard_html: str
    pages: int
    simplified: bool
    seconds: float


def make_charts(data: ReportData) -> dict[str, str]:
    v = data.validation
    made = {"loss": chart.loss_curves(data.metrics),
            "perplexity": chart.base_vs_trained(v.perplexity, "Perplexity (lower is better)"),
            "emotional_intelligence": chart.ei_sub_scores(v.emotional_intelligence),
            "knowledge_retention": chart.base_vs_trained(v.knowledge_retention, "Accuracy"),
            "brand_voice": chart.brand_voice_radar(v.brand_voice)}
    return {k: svg for k, svg in made.items() if svg}


def render_html(data: ReportData, charts: dict[str, str], mode: str = "report",
                simplified: bool = False) -> str:
    examples, basis = summary.best_examples(data.validation)
    return _env.get_template("report.html.j2").render(
        mode=mode, job=data.job, version=data.version, generated_at=data.generated_at,
        partial=data.partial, metrics=data.metrics, data=data.data, validation=data.validation,
        cost=data.cost, cost_rows=summary.cost_rows(data.cost) if data.cost else [],
        software=data.software, missing=data.missing, charts=charts, simplified=simplified,
        examples=examples, examples_basis=basis, titles=summary.TITLES, meaning=summary.MEANING,
        headline=summary.headline, fig=summary.figure, dollars=summary.dollars,
        pdf_url=PDF_URL_PLACEHOLDER)


def render_pdf(html: str) -> tuple[bytes, int]:
    import weasyprint  # imported here: Pango loads once, in the process that renders

    document = weasyprint.HTML(string=html).render()
    out = io.BytesIO()
    document.write_pdf(out)
    return out.getvalue(), len(document.pages)


def _render(data: ReportData, with_charts: bool) -> tuple[str, str, bytes, int]:
    charts = make_charts(data) if with_charts else {}
    html = render_html(data, charts, simplified=not with_charts)
    dashboard = render_html(data, charts, mode="dashboard")
    pdf, pages = render_pdf(html)
    return html, dashboard, pdf, pages


async def render(data: ReportData, limit_s: float = 30.0, full_share: float = 0.7) -> Rendered:
    """The full report if it is done within `full_share` of the limit, else the simplified one."""
    started = time.monotonic()
    simplified = False
    try:
        html, dashboard, pdf, pages = await asyncio.wait_for(
            asyncio.to_thread(_render, data, True), limit_s * full_share)
    except TimeoutError:
        simplified = True
        html, dashboard, pdf, pages = await asyncio.to_thread(_render, data, False)
    return Rendered(pdf=pdf, html=html, dashboard_html=dashboard, pages=pages,
                    simplified=simplified, seconds=time.monotonic() - started)
