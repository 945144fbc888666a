"""Reporting: every TrainerEvent goes out as one signed webhook body, in order, without ever
making the training loop wait for the network.

`webhook_url` is `http(s)://…` (webhook.HttpSink: a background sender thread with a queue,
retrying with capped backoff through an outage) or `file:///path/events.jsonl` (JSON lines
appended synchronously — standalone and offline runs, tests; a line written before a SIGKILL
is on disk).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import msgspec

from proto.base import encode
from proto.training import (
    CheckpointSaved,
    Heartbeat,
    Progress,
    ResourceSample,
    StageChanged,
    TrainingJobSpec,
)
from trainer.webhook import Backoff, HttpSink

log = logging.getLogger("trainer.report")

# A restarted process of the same attempt numbers its events from generation·SEQ_STRIDE, so seq
# stays monotonic across a kill and resume without knowing what the dead process last sent.
SEQ_STRIDE = 1_000_000_000


class FileSink:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")

    def send(self, body: bytes) -> None:
        self._file.write(body + b"\n")
        self._file.flush()

    def close(self, timeout_s: float | None = None) -> None:
        self._file.close()


def open_sink(url: str, secret: str, backoff: Backoff | None = None) -> FileSink | HttpSink:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return FileSink(Path(unquote(parsed.path)))
    if parsed.scheme in ("http", "https"):
        return HttpSink(url, secret, backoff)
    raise ValueError(f"unsupported webhook_url {url!r}: use http(s)://… or file:///path.jsonl")


class Reporter:
    def __init__(self, spec: TrainingJobSpec, generation: int = 0, sink: Any = None) -> None:
        self.job_id, self.attempt = spec.job_id, spec.attempt
        self.sink = sink or open_sink(spec.webhook_url, spec.webhook_secret, Backoff(
            max_s=spec.webhook_retry_max_s, horizon_s=spec.webhook_retry_horizon_s))
        self._seq = generation * SEQ_STRIDE
        self._lock = threading.RLock()  # reentrant: a heartbeat holds it across its pair
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.step = 0
        self.last_checkpoint_key: str | None = None

    def emit(self, event_type: type, **fields: Any) -> Any:
        with self._lock:  # seq order == delivery order
            self._seq += 1
            event = event_type(job_id=self.job_id, attempt=self.attempt, seq=self._seq, **fields)
            self.sink.send(encode(event))
        # What was last reported is what a failure report and the heartbeat refer to.
        if isinstance(event, Progress):
            self.step = event.step
        elif isinstance(event, CheckpointSaved):
            self.last_checkpoint_key = event.key
        return event

    def stage(self, stage: str, detail: str = "") -> None:
        log.info("stage %s %s", stage, detail)
        self.emit(StageChanged, stage=stage, detail=detail)

    def start_heartbeat(self, interval_s: float, device: str) -> None:
        """Heartbeat + ResourceSample at once and then every `interval_s`, from model loading to
        the end; the step is the last one reported in Progress. The first goes out at once so
        that even a run shorter than one interval says which device it ran on."""

        def beat() -> None:
            while True:
                sample = resource_sample(device)
                with self._lock:  # the pair is consecutive in seq: nothing else comes between
                    self.emit(Heartbeat, step=self.step)
                    self.emit(ResourceSample, **sample)
                if self._stop.wait(interval_s):
                    return

        self._heartbeat = threading.Thread(target=beat, name="heartbeat", daemon=True)
        self._heartbeat.start()

    def stop_heartbeat(self, timeout_s: float = 30.0) -> None:
        """Before the last event (Completed/Failed), so nothing follows it."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout_s)

    def close(self, timeout_s: float | None = None) -> None:
        """`timeout_s` None: the sink may wait out a bus outage (its horizon)."""
        self.stop_heartbeat(30.0 if timeout_s is None else timeout_s)
        with self._lock:
            self.sink.close(timeout_s)


def resource_sample(device: str) -> dict[str, Any]:
    if device.startswith("cuda"):
        import torch

        free, total = torch.cuda.mem_get_info()
        try:
            utilisation: float | None = float(torch.cuda.utilization())  # needs NVML
        except Exception:
            utilisation = None
        return {"device": device, "memory_bytes": total - free, "memory_total_bytes": total,
                "utilisation_pct": utilisation}
    import psutil

    rss = psutil.Process(os.getpid()).memory_info().rss
    return {"device": "cpu", "memory_bytes": rss, "memory_total_bytes": psutil.virtual_memory().total,
            "utilisation_pct": psutil.cpu_percent(interval=None)}


def read_events(path: Path) -> list[Any]:
    """The events a `file://` webhook collected, decoded (for tests and offline tools)."""
    from proto.training import TrainerEvent

    decoder = msgspec.json.Decoder(TrainerEvent)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]
