"""Stages 2–3 on the job page in a real browser, and the API under it (UJ2.2.1, UJ2.3.2,
UJ3.1.3): a real CPU run on the tiny model reports its tokenizing progress and a Ready-to-train
summary; its validation loss and perplexity reach GET /metrics and the metrics table; its GPU
figures are "n/a (CPU)" with the API's reason, until a trainer reports GPU figures in a signed
webhook, which then reach both. Screenshot: tests/e2e/screenshots/job-metrics.png (git-ignored)."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import httpx
import pytest
from journey import start_job, upload, wait_for_status
from support import training_file
from test_console import chromium_installed, console  # noqa: F401  (fixtures)

from libs.common.signing import derive_job_secret, sign
from proto.base import encode
from proto.training import ResourceSample

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SCREENSHOTS = Path(__file__).with_name("screenshots")


def progress_when(api: httpx.Client, job_id: str, ready, timeout_s: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if ready(job):
            return job
        assert job["status"] not in ("failed", "cancelled"), job
        time.sleep(0.5)
    raise AssertionError(f"not reached within {timeout_s} s: {job}")


def post_gpu_sample(api: httpx.Client, settings, job_id: str) -> None:
    """A GPU trainer's resource sample, signed with the job's secret as the trainer signs it."""
    sample = ResourceSample(job_id=job_id, seq=10**12, device="cuda", memory_bytes=76_800_000_000,
                            memory_total_bytes=80_000_000_000, utilisation_pct=87.0)
    body = encode(sample)
    posted = api.post(f"/webhooks/trainer/{job_id}", content=body,
                      headers=sign(derive_job_secret(settings.webhook_secret, job_id), body))
    assert posted.status_code == 202, posted.text


def shot_and_cancel(page, stack, job: dict, name: str) -> None:
    """The page as the test leaves it, then the job cancelled so the next test has the CPU."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        api.post(f"/jobs/{job['id']}/cancel", json={"reason": "test done"})
        wait_for_status(api, job["id"], {"cancelled"})


def test_progress_and_ready_to_train_while_a_cpu_job_trains(stack, console):  # noqa: F811
    page, errors = console
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        job = start_job(api, file_id, epochs=20, checkpoint_every_steps=500)
        progress = progress_when(api, job["id"], lambda j: j["status"] == "training" and
                                 j["progress"]["ready"] is not None)["progress"]
        log = api.get(f"/jobs/{job['id']}/events",
                      params={"q": "tokenizing", "per_page": 100}).json()

    # UJ2.2.1 through the stack: tokenizing went from 0 % to 100 % in throttled ticks.
    ticks = [e["payload"]["progress"] for e in log["events"] if e["payload"].get("progress")]
    assert ticks[0]["done"] == 0 and ticks[-1]["percent"] == 100.0
    assert len(ticks) <= 22 and ticks[-1]["done"] == ticks[-1]["total"]
    # UJ2.3.2: the summary, and a completion time that says what it rests on.
    assert progress["ready"]["step_time_basis"] == "estimated"
    assert progress["expected_completion_at"] and progress["expected_completion_basis"]

    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{job['id']}")
    ready = page.get_by_test_id("ready-to-train")
    expect(ready).to_contain_text("Ready to train")
    expect(ready.get_by_test_id("ready-file")).to_contain_text(
        f"{progress['ready']['conversations']} conversations")
    expect(ready.get_by_test_id("ready-model")).to_have_text("tiny-random-llama")
    expect(ready.get_by_test_id("ready-time")).to_contain_text("estimated")
    expect(ready.get_by_test_id("ready-completion")).to_contain_text(re.compile(
        r"timed forward pass|steps timed so far"))
    expect(page.get_by_test_id("metric-row-val-loss")).to_contain_text("Validation after epoch 1")
    expect(page.get_by_test_id("metric-gpu-util")).to_contain_text("n/a (CPU)", timeout=20_000)
    expect(page.get_by_test_id("metric-gpu-memory")).to_contain_text("n/a (CPU)")
    shot_and_cancel(page, stack, job, "job-ready-to-train.png")
    assert errors == []


def test_validation_loss_perplexity_and_gpu_figures_in_the_api_and_the_metrics_table(
    stack, console  # noqa: F811
):
    page, errors = console
    with httpx.Client(base_url=stack.api, timeout=30) as api:
        file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
        job = start_job(api, file_id, max_steps=2)
        wait_for_status(api, job["id"], {"completed"})
        metrics = api.get(f"/jobs/{job['id']}/metrics").json()

    # UJ3.1.3 at the API: validation loss and perplexity; no GPU figures on a CPU, and why.
    val_loss, perplexity = metrics["eval"][-1]["val_loss"], metrics["eval"][-1]["perplexity"]
    assert perplexity == pytest.approx(math.exp(val_loss), rel=1e-3)
    assert metrics["gpu"]["utilisation_pct"] is None and metrics["gpu"]["memory_bytes"] is None
    assert "CPU" in metrics["gpu"]["unavailable_reason"]

    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{job['id']}")
    expect(page.get_by_test_id("metric-row-val-loss")).to_contain_text(f"{val_loss:.4f}")
    expect(page.get_by_test_id("metric-row-perplexity")).to_contain_text(f"{perplexity:.2f}")
    expect(page.get_by_test_id("metric-gpu-util")).to_contain_text("n/a (CPU)")
    expect(page.get_by_test_id("metric-gpu-memory")).to_contain_text("n/a (CPU)")

    with httpx.Client(base_url=stack.api, timeout=30) as api:
        post_gpu_sample(api, stack.settings, job["id"])
        deadline = time.monotonic() + 30
        while (gpu := api.get(f"/jobs/{job['id']}/metrics").json()["gpu"])["device"] != "cuda":
            assert time.monotonic() < deadline, gpu
            time.sleep(0.3)
    assert (gpu["utilisation_pct"], gpu["memory_bytes"], gpu["unavailable_reason"]) == (
        87.0, 76_800_000_000, None)

    page.reload()
    expect(page.get_by_test_id("metric-gpu-util")).to_contain_text("87%")
    expect(page.get_by_test_id("metric-gpu-memory")).to_contain_text("76.8 GB / 80.0 GB")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "job-metrics.png"), full_page=True)
    assert errors == []


def test_the_preprocessing_card_shows_the_tokenizing_progress(stack, console):  # noqa: F811
    page, errors = console
    with httpx.Client(base_url=stack.api, timeout=60) as api:
        # 3,000 conversations: long enough to tokenize that the page sees it happen.
        file_id = upload(api, "big.json", training_file(3000)).json()["id"]
        job = start_job(api, file_id, epochs=1)
    page.goto(f"{stack.gateway_url.rstrip('/')}/#/jobs/{job['id']}")
    block = page.get_by_test_id("stage-progress")
    expect(block.get_by_test_id("stage-progress-text")).to_have_text(re.compile(
        r"^tokenizing [\d,]+ of 3,000 examples · \d+% · "), timeout=120_000)
    expect(page.get_by_test_id("preprocessing-substeps").locator("li.now")).to_have_text(
        "Tokenizing the conversations")
    percent = int(block.get_attribute("data-percent"))
    assert 0 <= percent <= 100
    shot_and_cancel(page, stack, job, "job-preprocessing.png")
    assert errors == []
