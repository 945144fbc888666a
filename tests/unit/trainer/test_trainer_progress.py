"""Progress inside a stage (UJ2.2.1): throttled ticks, a measured time estimate, and the
"Ready to train" arithmetic. Pure: the clock is a counter the test moves."""

from __future__ import annotations

import time
import uuid

import msgspec
import pytest

from proto.training import (
    Hyperparameters,
    ModelRef,
    StageChanged,
    StorageSettings,
    TrainerEvent,
    TrainingJobSpec,
)
from trainer import progress
from trainer.report import Reporter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Collected:
    """The sink a Reporter posts through (trainer.report: `send`, `close`), kept in memory."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def send(self, body: bytes) -> None:
        self.bodies.append(body)

    def close(self, timeout_s: float | None = None) -> None:
        pass

    def events(self) -> list[StageChanged]:
        return [msgspec.json.decode(b, type=TrainerEvent) for b in self.bodies]


def _spec() -> TrainingJobSpec:
    return TrainingJobSpec(job_id=uuid.uuid4(), training_file_key="f", output_prefix="o",
                           storage=StorageSettings(url="file:///nowhere"),
                           webhook_url="file:///nowhere.jsonl", webhook_secret="s")


def reporter(sink: Collected) -> Reporter:
    return Reporter(_spec(), sink=sink)


def tokenize(total: int, seconds_each: float) -> list[StageChanged]:
    clock, sink = Clock(), Collected()
    ticker = progress.StageTicker(reporter(sink), "preprocessing", total, progress.tokenizing,
                                  clock=clock)
    ticker(0)
    for done in range(1, total + 1):
        clock.now += seconds_each
        ticker(done)
    return sink.events()


def test_a_steady_file_reports_every_five_percent_from_zero_to_a_hundred() -> None:
    sent = tokenize(2400, 0.01)  # 24 s in all: each 5 % (120 examples) takes 1.2 s
    percents = [e.progress.percent for e in sent]
    assert percents == [5.0 * i for i in range(21)]
    assert sent[10].detail == "tokenizing 1,200 of 2,400 examples"
    assert sent[10].progress.remaining_s == pytest.approx(12.0)  # the measured rate
    assert sent[-1].progress.remaining_s == 0.0 and sent[-1].progress.remaining_basis == "measured"


def test_a_fast_file_does_not_flood_the_webhook() -> None:
    sent = tokenize(100_000, 0.000005)  # half a second for everything
    assert [e.progress.done for e in sent] == [0, 100_000]


def test_a_slow_file_still_reports_within_the_silence_limit() -> None:
    sent = tokenize(1000, 2.0)  # 1 % every 20 s: 5 % takes 100 s
    gaps = [b.progress.done - a.progress.done for a, b in zip(sent, sent[1:], strict=False)]
    assert max(gaps) * 2.0 <= progress.MAX_SILENCE_S + 2.0
    assert sent[-1].progress.done == 1000


def test_an_empty_sub_step_is_complete_at_once() -> None:
    assert [e.progress.percent for e in tokenize(0, 1.0)] == [100.0]


def test_ready_to_train_multiplies_the_steps_left_by_the_step_time() -> None:
    step_s = progress.step_time_estimate(forward_s=0.5, sequences_per_step=16, rows_per_pass=4)
    assert step_s == pytest.approx(3 * 0.5 * 4)  # 4 passes, each forward + backward
    ready = progress.ready(conversations=242, pairs=1567, sequences=400, model="m", nf4=True,
                           epochs=3, total_steps=300, done_steps=100, step_time_s=step_s,
                           measured=False)
    assert (ready.steps_left, ready.expected_training_s) == (200, pytest.approx(1200.0))
    assert (ready.step_time_basis, ready.quantization) == ("estimated", "nf4")


def test_cached_weights_estimate_at_the_stated_default_rate() -> None:
    start = progress.loading(0, 2 * progress.DEFAULT_LOAD_BYTES_PER_S)
    assert (start.percent, start.remaining_s, start.cache) == (0.0, 2.0, "cached")
    assert "default" in start.remaining_basis
    assert progress.loading(10, 10).percent == 100.0


def test_a_resumed_run_states_its_own_measured_step_time() -> None:
    from trainer.checkpoint import TrainerState
    from trainer.data import Example, PreparedData
    from trainer.recipe import ready_summary

    spec = msgspec.structs.replace(_spec(), model=ModelRef(name="tiny-random-llama"),
                                   hyperparameters=Hyperparameters(epochs=2))
    prepared = PreparedData(train=[Example("a", "c1", [1, 2], [1, 2], covers=("a0",)),
                                   Example("b", "c2", [1, 2], [1, 2])], val=[])
    state = TrainerState(step=30, train_runtime_s=45.0, rows_per_pass=1)
    ready = ready_summary(spec, None, prepared, conversations=2, total_steps=50, state=state,
                          pad_id=0, on="cpu", nf4=False)
    assert (ready.step_time_basis, ready.step_time_s, ready.steps_left) == ("measured", 1.5, 20)
    assert ready.expected_training_s == 30.0
    assert (ready.training_pairs, ready.sequences, ready.conversations) == (3, 2, 2)


def test_weights_say_whether_they_are_cached(tmp_path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"0" * 1000)
    (tmp_path / "config.json").write_text("{}")
    assert progress.weights_on_disk(str(tmp_path)) == (True, 1000)
    assert progress.weights_on_disk(None) == (True, 0)  # built from its config
    # A hub id this machine has never fetched: a download, with no made-up time for it.
    cached, size = progress.weights_on_disk("brightrun-test/never-downloaded-model")
    assert (cached, size) == (False, 0)
    start = progress.loading(0, 0, cached=False)
    assert (start.cache, start.remaining_s, start.percent) == ("downloading", None, 0.0)
    assert progress.loading_detail("m", 0, cached=False).startswith("downloading m")


def test_a_heartbeat_and_its_resource_sample_are_consecutive_while_others_emit() -> None:
    """The resilience test reads a gap in seq as a heartbeat (not logged) only when the next seq
    is its resource sample; the training thread emitting between the two broke that."""
    sink = Collected()
    report = reporter(sink)
    report.start_heartbeat(0.001, "cpu")
    deadline = time.monotonic() + 30  # a loaded machine beats less often: count beats, not time
    while sum(b'"heartbeat"' in body for body in sink.bodies) < 20 and time.monotonic() < deadline:
        for _ in range(100):
            report.stage("preprocessing")
    report.stop_heartbeat()
    events = sink.events()
    beats = [i for i, e in enumerate(events) if type(e).__name__ == "Heartbeat"]
    assert len(beats) >= 20
    assert all(type(events[i + 1]).__name__ == "ResourceSample" for i in beats)


def test_the_grace_left_counts_from_the_first_sigterm() -> None:
    from trainer.loop import StopFlag

    clock = Clock()
    stop = StopFlag(grace_s=5.0, clock=clock)
    clock.now = 100.0
    assert stop.left_s() == 5.0 and not stop.requested
    stop.request()
    clock.now = 103.0
    stop.request()  # a second SIGTERM does not restart the count
    assert stop.requested and stop.left_s() == 2.0
