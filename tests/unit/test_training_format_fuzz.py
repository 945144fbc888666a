"""The training-file parser fed 10,000 generated and mutated files (issue 15): whatever arrives,
the upload path either parses it or raises TrainingFormatError (a clear 4xx), and a file that
parses gets its statistics and eligibility without a crash. The slowest file is printed."""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SAMPLE_FILE

from libs.common.training_format import TrainingFile, TrainingFormatError, parse_training_file
from services.jobs.training_file_eligibility import check_eligibility
from services.jobs.training_file_stats import compute_stats

SAMPLE = json.loads(SAMPLE_FILE.read_bytes())
SMALL = {**SAMPLE, "conversations": SAMPLE["conversations"][:2]}
# Real files in each shape the parser takes: aggregated JSON, one conversation, JSONL, OpenAI chat.
SEEDS: list[bytes] = [
    json.dumps(SMALL, indent=2).encode(),
    json.dumps(SAMPLE["conversations"][0]).encode(),
    b"\n".join(json.dumps(c).encode() for c in SAMPLE["conversations"][:2]),
    b'{"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},'
    b' {"role": "assistant", "content": "Hello! How can I help?"}]}\n' * 3,
    # Issue 17: a ShareGPT JSON list, Alpaca JSONL, and one raw generator conversation.
    json.dumps([{"id": "s1", "system": "Be kind.", "conversations": [
        {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"},
        {"from": "human", "value": "Budget?"}, {"from": "gpt", "value": None}]}] * 2).encode(),
    b"\n".join(json.dumps({"instruction": "Explain APR.", "input": "", "output": "The yearly rate.",
                           "history": [["Hi", "Hello"]]}).encode() for _ in range(3)),
    json.dumps({"conversation_metadata": {"conversation_id": "r1", "total_turns": 4,
                                          "persona_key": "saver"}, "system_prompt": "Be kind.",
                "turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"},
                          {"role": "user", "content": "Help"},
                          {"role": "assistant", "content": None}]}).encode(),
]
# The seeds that are one JSON document (the others are JSONL), for value-level mutations.
DOCUMENT_SEEDS = [0, 1, 4, 6]
slowest: list[float] = [0.0]


@pytest.fixture(scope="module", autouse=True)
def report_the_slowest(request: pytest.FixtureRequest):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"slowest fuzzed upload: {slowest[0] * 1000:.1f} ms")


def upload(data: bytes) -> None:
    started = time.perf_counter()
    try:
        parsed = parse_training_file(data, "upload.json")
    except TrainingFormatError as error:
        assert error.code and error.message and error.how_to_fix
        assert msgspec.json.encode(error.to_dict())  # the details travel as JSON
    else:
        assert isinstance(parsed, TrainingFile)
        check_eligibility(compute_stats(parsed))
    slowest[0] = max(slowest[0], time.perf_counter() - started)


def _mutate(tree: Any, draw: st.DrawFn, depth: int = 0) -> Any:
    """The same document with one value somewhere replaced, dropped or retyped."""
    if isinstance(tree, dict) and tree and depth < 8:
        key = draw(st.sampled_from(sorted(tree)))
        action = draw(st.sampled_from(["descend", "drop", "replace"]))
        if action == "drop":
            return {k: v for k, v in tree.items() if k != key}
        if action == "replace":
            return {**tree, key: draw(_ODD_VALUES)}
        return {**tree, key: _mutate(tree[key], draw, depth + 1)}
    if isinstance(tree, list) and tree and depth < 8:
        i = draw(st.integers(0, len(tree) - 1))
        return [*tree[:i], _mutate(tree[i], draw, depth + 1), *tree[i + 1:]]
    return draw(_ODD_VALUES)


_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
    st.text(max_size=40), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.none(), max_size=2))


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    seed = json.loads(SEEDS[draw(st.sampled_from(DOCUMENT_SEEDS))])
    return json.dumps(_mutate(seed, draw)).encode()


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["cut", "insert", "flip", "truncate"])):
            case "cut":
                del data[at:at + draw(st.integers(1, 50))]
            case "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=20))
            case "flip" if at < len(data):
                data[at] ^= draw(st.integers(1, 255))
            case "truncate":
                del data[at:]
    return bytes(data)


FUZZ = settings(max_examples=5000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated_documents())
def test_5000_files_with_a_value_dropped_or_retyped_get_stats_or_a_clear_error(data: bytes):
    upload(data)


@FUZZ
@given(mutated_bytes())
def test_5000_files_with_bytes_cut_inserted_or_flipped_get_stats_or_a_clear_error(data: bytes):
    upload(data)


