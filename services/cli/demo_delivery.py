"""The end of `brightrun demo`: the model proven (validation), the PDF report, the deliverables.

Stage 5 and 6 through the gateway like any user: wait for the validation suites, print their
headlines, generate the report, and download the adapter bundle and the deployment package.
"""

from __future__ import annotations

import shlex
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

# Until a suite is one of these, the trainer or the judge is still working on it.
SETTLED = {"completed", "failed", "partial", "awaiting_review"}
SUITE_TITLES = {"perplexity": "Perplexity", "emotional_intelligence": "Emotional intelligence",
                "knowledge_retention": "Knowledge retention", "brand_voice": "Brand voice"}


def _say(text: str = "") -> None:
    print(text, flush=True)


def _poll(fetch: Any, done: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"\n✗ {what} did not finish in {timeout_s / 60:.0f} minutes.")
        time.sleep(1.0)


def show_validation(api: httpx.Client, job_id: str, gateway_url: str) -> dict[str, Any]:
    _say("▸ Validation: base model against trained, on held-out conversations…")
    view = _poll(lambda: api.get(f"/jobs/{job_id}/validation").json(),
                 lambda v: v.get("suites") and all(s["status"] in SETTLED for s in v["suites"]),
                 600, "Validation")
    for suite in view["suites"]:
        badge = f"  [{suite['badge']}]" if suite.get("badge") else ""
        _say(f"  {SUITE_TITLES.get(suite['suite'], suite['suite']):<24} "
             f"{suite.get('headline') or suite['status']}{badge}")
    waiting = view.get("review", {}).get("open", 0)
    if waiting:
        _say(f"  No LLM judge is configured (BRIGHTRUN_JUDGE_URL): {waiting} scenarios await "
             f"blind review at {gateway_url}/#/review/{job_id}")
    return view


def save_report(api: httpx.Client, job_id: str, out_dir: Path, partial: bool) -> Path:
    _say("▸ Generating the validation report (PDF)…")
    response = api.post(f"/jobs/{job_id}/report", params={"partial": str(partial).lower()})
    if response.status_code >= 400:
        raise SystemExit(f"\n✗ {response.json()['error']['message']}")
    report = _poll(lambda: api.get(f"/jobs/{job_id}/report").json(),
                   lambda r: r["status"] in ("ready", "failed"), 180, "The report")
    if report["status"] != "ready":
        raise SystemExit(f"\n✗ The report failed: {report['versions'][0].get('message', '')}")
    target = out_dir / "validation-report.pdf"
    target.write_bytes(api.get(f"/jobs/{job_id}/report.pdf").content)
    newest = report["versions"][0]
    _say(f"  {newest.get('pages')} pages, {target.stat().st_size / 1024:.0f} KiB, generated in "
         f"{newest.get('generation_s') or 0:.1f} s")
    return target


def save_artifacts(api: httpx.Client, job_id: str, out_dir: Path) -> dict[str, Path]:
    _say("▸ Packaging the adapter bundle and the deployment package…")
    _poll(lambda: api.get(f"/jobs/{job_id}/artifacts").json(),
          lambda v: all(a["status"] in ("ready", "failed") for a in v["artifacts"]),
          300, "Packaging")
    saved = {}
    for kind in ("adapter-bundle", "deployment-package"):
        response = api.get(f"/jobs/{job_id}/artifacts/{kind}")
        if response.status_code >= 400:
            raise SystemExit(f"\n✗ {response.json()['error']['message']}")
        archive = out_dir / f"{kind}.zip"
        archive.write_bytes(response.content)
        folder = out_dir / kind
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(folder)
        saved[kind] = folder
    return saved


def package_command(package: Path) -> str:
    """How to run the package here: this installation's Python has its requirements, and the
    embedded model's converted copy stands in for the hub download (inference.py's README says
    how on a fresh machine)."""
    from trainer.model import cache_root

    base = cache_root() / "smollm2-135m-instruct"
    prompt = "I just inherited $50,000 and I'm scared of making the wrong move."
    return (f"BRIGHTRUN_BASE_MODEL_PATH={shlex.quote(str(base))} {shlex.quote(sys.executable)} "
            f"{shlex.quote(str(package / 'inference.py'))} {shlex.quote(prompt)}")
