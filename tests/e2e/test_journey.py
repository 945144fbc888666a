"""A user's journey through the gateway: upload → eligibility → job → live updates → adapter."""

from __future__ import annotations

import io
import json
import time
import zipfile

import httpx
import pytest
from journey import SMALL_VALIDATION, start_job, upload, wait_for_status, watch
from pypdf import PdfReader


@pytest.fixture
def api(stack):
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        yield client


def test_upload_train_watch_live_and_download_the_adapter(stack, api):
    uploaded = upload(api, "sample.json", stack.sample_file.read_bytes())
    assert uploaded.status_code == 201, uploaded.text
    training_file = uploaded.json()
    assert training_file["eligibility"]["eligible"] is True
    assert training_file["conversation_count"] >= 60
    presets = api.get("/presets").json()
    assert [p["name"] for p in presets if p["is_default"]] == ["balanced"]
    estimate = api.post("/estimates", json={"training_file_id": training_file["id"]}).json()
    assert estimate["duration_s_low"] < estimate["duration_s_high"]

    job = start_job(api, training_file["id"], max_steps=6, checkpoint_every_steps=3)
    frames = watch(f"{stack.api.replace('http', 'ws', 1)}/jobs/{job['id']}/live", {"completed", "failed"})

    assert frames[0]["type"] == "snapshot"
    statuses = [f["data"]["status"] for f in frames if f["type"] == "status"]
    assert statuses[-1] == "completed", frames[-3:]
    assert "training" in statuses
    steps = [f["data"]["step"] for f in frames if f["type"] == "progress"]
    assert steps == sorted(steps) and steps[-1] == 6

    detail = api.get(f"/jobs/{job['id']}").json()
    assert detail["progress"]["percent"] == 100.0
    adapter = api.get(f"/jobs/{job['id']}/artifacts/adapter")
    assert adapter.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(adapter.content)).namelist()
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(names)
    config = json.loads(zipfile.ZipFile(io.BytesIO(adapter.content)).read("adapter_config.json"))
    assert config["r"] == 16

    metrics = api.get(f"/jobs/{job['id']}/metrics").json()
    assert [m["step"] for m in metrics["train"]] == list(range(1, 7))
    errors = api.get(f"/jobs/{job['id']}/events", params={"type": "error"}).json()
    assert errors["total"] == 0


def test_a_trained_job_is_validated_reported_and_packaged(stack, api):
    """Stages 5 and 6 end to end: base against trained on held-out data, the PDF report whose
    figures are the validation API's, and the deliverables."""
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    job = start_job(api, file_id, validation=SMALL_VALIDATION, max_steps=4)
    statuses = [f["data"]["status"] for f in watch(
        f"{stack.api.replace('http', 'ws', 1)}/jobs/{job['id']}/live", {"completed", "failed"})
        if f["type"] == "status"]
    assert statuses[-2:] == ["validating", "completed"], statuses

    validation = eventually_json(api, f"/jobs/{job['id']}/validation", lambda v: all(
        s["status"] in {"completed", "awaiting_review"} for s in v["suites"]))
    suites = {s["suite"]: s for s in validation["suites"]}
    perplexity = suites["perplexity"]["figures"]
    assert perplexity["base_perplexity"] > 1 and perplexity["trained_perplexity"] > 1
    assert suites["knowledge_retention"]["status"] == "completed"
    # No judge on the test stack: the answers wait for blind review, as in a fresh install.
    assert suites["emotional_intelligence"]["status"] == "awaiting_review"

    assert api.post(f"/jobs/{job['id']}/report").status_code == 409  # validation not finished
    assert api.post(f"/jobs/{job['id']}/report", params={"partial": "true"}).status_code == 202
    eventually_json(api, f"/jobs/{job['id']}/report", lambda r: r["status"] == "ready")
    pdf = api.get(f"/jobs/{job['id']}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(pdf.content)).pages).split())
    for name in ("perplexity", "knowledge_retention"):  # the report says what the API says
        assert " ".join(suites[name]["headline"].split()) in text, name

    eventually_json(api, f"/jobs/{job['id']}/artifacts", lambda v: all(
        a["status"] == "ready" for a in v["artifacts"]))
    package = zipfile.ZipFile(io.BytesIO(
        api.get(f"/jobs/{job['id']}/artifacts/deployment-package").content))
    assert {"inference.py", "requirements.txt", "README.md", "example_prompts.json",
            "training_summary.json", "validation_summary.json"} <= set(package.namelist())
    assert any(n.startswith("adapters/") for n in package.namelist())


def eventually_json(api, path: str, done, timeout_s: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        body = api.get(path).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"{path} never settled: {body}"
        time.sleep(0.5)


def test_broken_json_gets_line_column_and_snippet_and_nothing_is_stored(stack, api):
    before = api.get("/training-files").json()
    response = upload(api, "broken.json", b'{\n  "training_file_metadata": {"n": 3\\, "m": 1}\n}')
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    # the stray backslash: `  "training_file_metadata": {"n": 3\` is 36 characters
    assert (error["details"]["line"], error["details"]["column"]) == (2, 36)
    assert "^" in error["details"]["snippet"] and error["how_to_fix"]
    assert api.get("/training-files").json() == before


def test_bad_requests_get_specific_errors(stack, api):
    assert upload(api, "empty.json", b"").json()["error"]["code"] == "empty_file"
    missing = api.get("/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    bad = api.post("/jobs", json={"training_file_id": file_id,
                                  "overrides": {"micro_batch_size": 0}})
    assert bad.status_code == 422
    assert "micro_batch_size" in bad.json()["error"]["message"]
    unknown = api.post("/jobs", json={"training_file_id": file_id, "preset": "turbo"})
    assert unknown.json()["error"]["code"] == "unknown_preset"


def test_cancel_stops_a_running_job(stack, api):
    file_id = upload(api, "sample.json", stack.sample_file.read_bytes()).json()["id"]
    job = start_job(api, file_id, max_steps=5000, epochs=20)
    wait_for_status(api, job["id"], {"training", "model_loading", "preprocessing"}, 120)
    cancelled = api.post(f"/jobs/{job['id']}/cancel", json={"reason": "changed my mind"}).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["status_message"] == "changed my mind"
    # UJ4.3.1: the trainer process is gone within 60 s, and the log says so.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log = api.get(f"/jobs/{job['id']}/events", params={"q": "Instance exited"}).json()
        if log["total"]:
            break
        time.sleep(0.5)
    assert log["total"] == 1, "the trainer process was not stopped within 60 s"
