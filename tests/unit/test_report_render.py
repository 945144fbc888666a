"""UJ5.3.1's error scenario: a render past its time limit gives the simplified report (no
charts) with a note, instead of no report. Real weasyprint, real PDF, read back with pypdf."""

from __future__ import annotations

import io
import uuid

import pypdf

from proto.base import utcnow
from services.packaging.report.data import JobFacts, ReportData, TrainingMetrics, TrainPoint
from services.packaging.report.render import render


def data() -> ReportData:
    job = JobFacts(id=uuid.uuid4(), name="Advisor v1", status="completed", created_at=utcnow(),
                   model_name="tiny-random-llama", preset="balanced", gpu_type="cpu", pricing="spot")
    return ReportData(job=job, generated_at=utcnow(), version=1,
                      metrics=TrainingMetrics(train=[TrainPoint(s, 1 / s) for s in range(1, 50)]))


def text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


async def test_a_render_past_its_limit_is_the_simplified_report_with_a_note():
    full = await render(data())
    assert not full.simplified and "Training loss" in text(full.pdf)  # the chart's legend
    quick = await render(data(), limit_s=0.001)
    assert quick.simplified and "Training loss" not in text(quick.pdf)
    assert "Simplified version: the charts were left out" in text(quick.pdf)
    assert "<svg" not in quick.html and "<svg" in full.html
