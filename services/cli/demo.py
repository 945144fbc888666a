"""`brightrun demo`: the journey on the sample file, through the gateway like any user.

Stack up → upload → eligibility → preset + estimate → job → live progress → validation (base
against trained) → PDF report → adapter bundle and deployment package.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from services.cli.demo_delivery import (
    package_command,
    save_artifacts,
    save_report,
    show_validation,
)
from services.cli.stack import Stack

SAMPLE = Path(__file__).with_name("samples") / "financial-advisory-sample.json"
# Balanced, sized for two CPU cores: smaller micro-batches so the bar moves, two epochs.
CPU_OVERRIDES = {"epochs": 2, "micro_batch_size": 2, "grad_accumulation": 2,
                 "max_seq_len": 1024, "checkpoint_every_steps": 10}
# Validation sized for two CPU cores (benchmarks/validation_suites.py measured the four suites at
# ten scenarios and 96 tokens in 344 CPU-seconds per core): four EI scenarios and four
# brand-voice answers of up to 64 tokens, all 100 knowledge questions, the whole held-out set.
DEMO_VALIDATION = {"ei_scenarios": 4, "brand_voice_answers": 4, "max_new_tokens": 64}
BAR_WIDTH = 30


def _say(text: str = "") -> None:
    print(text, flush=True)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _bar(step: int, total: int) -> str:
    filled = int(BAR_WIDTH * step / total) if total else 0
    return "█" * filled + "░" * (BAR_WIDTH - filled)


class LiveView:
    """One status line in the terminal, redrawn as frames arrive."""

    def __init__(self) -> None:
        self.status, self.detail = "queued", ""
        self.step = self.total = 0
        self.loss: float | None = None
        self.speed: float | None = None
        self.started = time.monotonic()
        self.training_started: float | None = None

    def apply(self, frame: dict[str, Any]) -> str | None:
        kind, data = frame["type"], frame.get("data", {})
        if kind == "snapshot":
            self.status = data["job"]["status"]
        elif kind == "status":
            self.status, self.detail = data["status"], data.get("message", "")
            return data["status"]
        elif kind == "stage":
            self.detail = data.get("detail", "")
        elif kind == "progress":
            self.training_started = self.training_started or time.monotonic()
            self.step, self.total = data["step"], data["total_steps"]
            self.loss, self.speed = data["loss"], data.get("tokens_per_s")
        elif kind == "data":
            _say(f"\r  data: {data['train_examples']} training / {data['val_examples']} validation "
                 f"examples, {data['total_tokens']} tokens, {data['truncated_examples']} truncated"
                 + " " * 20)
        elif kind == "evaluation":
            _say(f"\r  eval at step {data['step']}: val loss {data['val_loss']:.4f}, "
                 f"perplexity {data['perplexity']:.2f}" + " " * 30)
        return None

    def render(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.total:
            train_elapsed = time.monotonic() - (self.training_started or time.monotonic())
            eta = train_elapsed / self.step * (self.total - self.step) if self.step else None
            loss = f"loss {self.loss:.4f}" if self.loss is not None else ""
            speed = f"{self.speed:.0f} tok/s" if self.speed else ""
            line = (f"  {self.status:<13} {_bar(self.step, self.total)} {self.step}/{self.total} "
                    f"{loss}  {speed}  elapsed {_duration(elapsed)}  eta {_duration(eta)}")
        else:
            line = f"  {self.status:<13} {self.detail[:60]}  elapsed {_duration(elapsed)}"
        sys.stdout.write("\r" + line.ljust(118)[:118])
        sys.stdout.flush()


def _follow(ws_url: str) -> str:
    view = LiveView()
    with connect(ws_url, open_timeout=10) as socket:
        while True:
            try:
                frame = json.loads(socket.recv(timeout=1.0))
            except TimeoutError:
                view.render()
                continue
            status = view.apply(frame)
            view.render()
            if status in {"completed", "failed", "cancelled"}:
                _say()
                return status


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        error = response.json().get("error", {})
        raise SystemExit(f"\n✗ {error.get('message', response.text)}\n  {error.get('how_to_fix', '')}")
    return response.json()


def _describe_file(training_file: dict[str, Any]) -> None:
    stats, eligibility = training_file["stats"], training_file["eligibility"]
    _say(f"  {stats['conversation_count']} conversations, {stats['pair_count']} pairs, "
         f"{stats['usable_pair_count']} usable ({stats['null_target_count']} context-only), "
         f"quality {stats['quality_badge']}")
    mark = "✓ eligible for training" if eligibility["eligible"] else "✗ not eligible"
    _say(f"  {mark}" + "".join(f"\n    ! {w['message']}" for w in eligibility["warnings"]))


def run_demo(state_dir: Path, keep_running: bool = False, gateway_port: int | None = None,
             out_dir: Path = Path("brightrun-output"), overrides: dict | None = None) -> int:
    started = time.monotonic()
    stack = Stack(state_dir)
    _say("▸ Starting Bright Run (NATS, PostgreSQL, storage, services, gateway)…")
    settings = stack.up(gateway_port=gateway_port)
    _say(f"  up in {time.monotonic() - started:.1f}s — console {settings.gateway_url}/")
    try:
        with httpx.Client(base_url=f"{settings.gateway_url}/api/v1", timeout=60) as api:
            return _journey(api, settings.gateway_url, out_dir, overrides or CPU_OVERRIDES, started)
    finally:
        if keep_running:
            _say(f"  The stack is still running: {settings.gateway_url}/  (brightrun down to stop)")
        else:
            stack.down()


def _journey(api: httpx.Client, gateway_url: str, out_dir: Path, overrides: dict,
             started: float) -> int:
    _say(f"▸ Uploading the sample training file ({SAMPLE.name})…")
    training_file = _check(api.post("/training-files", files={
        "file": (SAMPLE.name, SAMPLE.read_bytes(), "application/json")}))
    _describe_file(training_file)
    preset = next(p for p in _check(api.get("/presets")) if p["is_default"])
    request = {"training_file_id": training_file["id"], "preset": preset["name"],
               "overrides": overrides, "gpu_type": "cpu"}
    estimate = _check(api.post("/estimates", json=request))
    _say(f"▸ Preset {preset['title']} (r={preset['lora']['r']}) sized for this CPU: "
         f"{estimate['total_steps']} steps, about {_duration(estimate['duration_s_low'])}–"
         f"{_duration(estimate['duration_s_high'])}, ${estimate['cost_cents_high'] / 100:.2f}")
    job = _check(api.post("/jobs", json={**request, "name": "Demo - Balanced on CPU",
                                         "tags": ["experiment"], "validation": DEMO_VALIDATION,
                                         "notes": "Created by `brightrun demo`."}))
    _say(f"▸ Training job {job['name']!r} — watch it live at {gateway_url}/#/jobs/{job['id']}")
    status = _follow(f"{gateway_url.replace('http', 'ws', 1)}/api/v1/jobs/{job['id']}/live")
    job = _check(api.get(f"/jobs/{job['id']}"))
    if status != "completed":
        error = job.get("error") or {}
        _say(f"✗ The job {status}: {error.get('message', job['status_message'])}")
        if error.get("suggested_fix"):
            _say(f"  Suggested fix: {error['suggested_fix']}")
        return 1
    progress = job["progress"]
    _say(f"✓ Trained {progress['step']} steps; final loss {progress['loss']:.4f}, "
         f"val loss {progress['val_loss']:.4f}")
    folder = (out_dir / job["id"]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    validation = show_validation(api, job["id"], gateway_url)
    awaiting = any(s["status"] == "awaiting_review" for s in validation["suites"])
    report = save_report(api, job["id"], folder, partial=awaiting)
    saved = save_artifacts(api, job["id"], folder)
    _say(f"✓ Validation report (PDF):  {report}")
    _say(f"✓ Adapter bundle:           {saved['adapter-bundle']}")
    _say(f"✓ Deployment package:       {saved['deployment-package']}")
    _say("  Run the trained model from the package (the base model from a local copy):")
    _say(f"    {package_command(saved['deployment-package'])}")
    _say(f"  demo finished in {_duration(time.monotonic() - started)}")
    return 0
