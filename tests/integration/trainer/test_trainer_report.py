"""Webhooks: every body is signed so the gateway can verify it; delivery survives a bad moment."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import groupby
from pathlib import Path

import msgspec
import pytest
from trainer_testkit import load_spec, make_job, run_in_process

from libs.common.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from proto.training import (
    Completed,
    DataReport,
    Heartbeat,
    Progress,
    StageChanged,
    TrainerEvent,
)
from trainer.report import Reporter

SECRET = "test-secret"


class Gateway:
    """A stand-in gateway: records what it is sent, answers 503 to the first `fail_first`."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[bytes, str | None, str | None]] = []
        self.fail_first = fail_first
        self.attempts = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.attempts += 1
                if gateway.attempts <= gateway.fail_first:
                    self.send_response(503)
                else:
                    gateway.received.append((body, self.headers.get(TIMESTAMP_HEADER),
                                             self.headers.get(SIGNATURE_HEADER)))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/training"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[object]:
        decoder = msgspec.json.Decoder(TrainerEvent)
        return [decoder.decode(body) for body, _, _ in self.received]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway(fail_first=1)
    yield server
    server.server.shutdown()


def test_every_posted_body_verifies_with_the_job_secret(tmp_path: Path, gateway: Gateway) -> None:
    spec = load_spec(make_job(tmp_path, webhook_url=gateway.url))
    reporter = Reporter(spec)

    reporter.stage("preprocessing", "reading the training file")
    reporter.emit(Heartbeat, step=0)
    reporter.close()

    assert len(gateway.received) == 2
    for body, timestamp, signature in gateway.received:
        verify(SECRET, body, timestamp, signature)  # raises if forged
        with pytest.raises(SignatureError):
            verify("another-jobs-secret", body, timestamp, signature)


def test_a_failed_post_is_retried_and_order_and_seq_are_kept(tmp_path: Path,
                                                             gateway: Gateway) -> None:
    spec = load_spec(make_job(tmp_path, webhook_url=gateway.url))
    reporter = Reporter(spec, generation=2)

    for step in range(1, 4):
        reporter.emit(Heartbeat, step=step)
    reporter.close()

    assert gateway.attempts == 4  # the 503 was retried
    beats = gateway.events()
    assert [e.step for e in beats] == [1, 2, 3]
    assert [e.seq for e in beats] == [2_000_000_001, 2_000_000_002, 2_000_000_003]
    assert {e.job_id for e in beats} == {spec.job_id}


def test_a_whole_run_reports_through_the_webhook(tmp_path: Path, gateway: Gateway) -> None:
    spec_path = make_job(tmp_path, webhook_url=gateway.url, epochs=1)

    assert run_in_process(spec_path) == 0

    events = gateway.events()
    for body, timestamp, signature in gateway.received:
        verify(SECRET, body, timestamp, signature)
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    changes = [e for e in events if isinstance(e, StageChanged)]
    assert [stage for stage, _ in groupby(e.stage for e in changes)] == [
        "preprocessing", "model_loading", "training", "finalizing"]

    # UJ2.2.1: tokenizing reported from 0 to 100 % of the file's 32 pairs, counts rising.
    ticks = [e for e in changes if e.stage == "preprocessing" and e.progress]
    assert ticks[0].progress.done == 0 and ticks[0].detail == "tokenizing 0 of 32 examples"
    assert (ticks[-1].progress.done, ticks[-1].progress.total) == (32, 32)
    assert ticks[-1].progress.percent == 100.0 and ticks[-1].progress.remaining_s is not None
    assert [t.progress.done for t in ticks] == sorted({t.progress.done for t in ticks})
    data = next(e for e in events if isinstance(e, DataReport))
    assert (data.conversations, data.train_examples + data.val_examples) == (8, 20 + 12)

    # UJ2.3.1: the tiny model is built from its config: "cached", nothing to download.
    loading = [e for e in changes if e.stage == "model_loading"]
    assert [e.detail for e in loading if not e.progress][:2] == [
        "downloading/caching weights", "initialising adapters"]
    assert {e.progress.cache for e in loading if e.progress} == {"cached"}
    assert loading[-1].detail.startswith("gradient checkpointing on 0 of 2 layers")  # memory to spare

    # UJ2.3.2: "Ready to train" with the steps the run then took and a stated step time.
    ready = next(e.ready for e in changes if e.ready)
    assert isinstance(events[-1], Completed) and ready.total_steps == events[-1].steps
    assert (ready.conversations, ready.training_pairs, ready.model) == (8, data.train_examples,
                                                                        "tiny-random-llama")
    assert ready.step_time_basis == "estimated" and ready.step_time_s > 0
    assert ready.expected_training_s == pytest.approx(ready.steps_left * ready.step_time_s,
                                                      abs=0.1)
    assert any(isinstance(e, Progress) for e in events)
    assert isinstance(events[-1], Completed) and events[-1].adapter_key == "jobs/test/adapter"
    assert uuid.UUID(str(events[-1].job_id))
