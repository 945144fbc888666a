"""Failures are classified from the real exceptions and told with a fix the user can apply."""

from __future__ import annotations

import resource
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from trainer_testkit import events, failure, load_spec, make_job, run, run_in_process, training_file

from libs.common.storage import LocalDirStore, StorageRefused
from proto.training import Completed, DataReport
from trainer import errors, model


def test_nan_loss_fails_the_run_with_a_lower_learning_rate_to_retry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attach = model.attach_lora

    def poisoned(*args: Any, **kwargs: Any) -> Any:
        peft_model = attach(*args, **kwargs)
        lora_a = next(p for n, p in peft_model.named_parameters() if "lora_A" in n)
        with torch.no_grad():
            lora_a.fill_(float("inf"))  # inf · 0 (fresh lora_B) = NaN in the forward pass
        return peft_model

    monkeypatch.setattr(model, "attach_lora", poisoned)
    spec = make_job(tmp_path, learning_rate=4e-3)

    assert run_in_process(spec) == 1

    failed = failure(tmp_path)
    assert failed.failure_class == "nan_loss"
    assert "step 1" in failed.message
    assert failed.suggested_changes == {"learning_rate": 2e-3}


def test_a_bad_record_is_skipped_and_reported_by_id_and_field(tmp_path: Path) -> None:
    data = training_file(bad={"c2_turn1": {"conversation_history": [
        {"turn": 0, "role": "narrator", "content": "Earlier that day..."}]}})

    assert run_in_process(make_job(tmp_path, data, epochs=1)) == 0

    report = next(e for e in events(tmp_path) if isinstance(e, DataReport))
    assert list(report.skipped) == ["c2_turn1"]
    assert "conversation_history[0].role" in report.skipped["c2_turn1"]
    assert isinstance(events(tmp_path)[-1], Completed)


def test_a_file_of_only_bad_records_fails_as_data_format_naming_pair_and_field(
        tmp_path: Path) -> None:
    narrator = {"conversation_history": [{"turn": 0, "role": "narrator", "content": "..."}]}
    data = training_file(conversations=1, turns=1, bad={"c0_turn1": narrator})

    assert run_in_process(make_job(tmp_path, data)) == 1

    failed = failure(tmp_path)
    assert failed.failure_class == "data_format"
    assert "c0_turn1" in failed.message and "conversation_history[0].role" in failed.message


def test_a_broken_json_file_fails_as_data_format_with_line_and_column(tmp_path: Path) -> None:
    broken = training_file().replace(b'"format_spec"', b'"format_spec" 12\\', 1)

    assert run_in_process(make_job(tmp_path, broken)) == 1

    failed = failure(tmp_path)
    assert failed.failure_class == "data_format"
    assert "line 1, column" in failed.message and failed.suggested_fix


def test_a_missing_training_file_is_a_storage_failure(tmp_path: Path) -> None:
    spec = make_job(tmp_path)
    (tmp_path / "store" / "files" / "train.json").unlink()

    assert run_in_process(spec) == 1

    assert failure(tmp_path).failure_class == "network_storage"


def test_out_of_memory_in_a_memory_limited_process_suggests_a_shorter_max_seq_len(
        tmp_path: Path) -> None:
    limit = int(3.5 * 2**30)  # address space: ample for a tiny run, not for these sequences
    data = training_file(conversations=4, turns=2, target_words=3000)
    spec = make_job(tmp_path, data, micro_batch_size=4, grad_accumulation=2, max_seq_len=8192)

    result = run(spec, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))

    assert result.returncode == 1, result.stdout
    failed = failure(tmp_path)
    assert failed.failure_class == "out_of_memory", failed.message
    # The CPU runs one sequence per pass: a smaller micro-batch would not help there.
    assert failed.suggested_changes == {"max_seq_len": 4096}
    assert "GiB" in failed.message  # the memory estimate for these settings


def test_on_cuda_an_oom_halves_the_micro_batch_and_keeps_the_effective_batch(
        tmp_path: Path) -> None:
    spec = load_spec(make_job(tmp_path, micro_batch_size=32, grad_accumulation=2))

    verdict = errors.out_of_memory(spec, "cuda", 8_000_000_000, detail="CUDA out of memory")

    assert verdict.suggested_changes == {"micro_batch_size": 16, "grad_accumulation": 4}


# --- classification of real exceptions, one kind each ------------------------------------------


@pytest.fixture
def spec(tmp_path: Path) -> Any:
    return load_spec(make_job(tmp_path, micro_batch_size=1, max_seq_len=4096))


def raised(action: Any) -> BaseException:
    try:
        action()
    except BaseException as exc:
        return exc
    raise AssertionError("expected an exception")


def test_cpu_allocator_failure_is_oom_and_shrinks_max_seq_len(spec: Any) -> None:
    exc = raised(lambda: torch.empty(2**50, dtype=torch.uint8))

    verdict = errors.classify(exc, spec)

    assert verdict.failure_class == "out_of_memory"
    assert verdict.suggested_changes == {"max_seq_len": 2048}


def test_python_memory_error_is_oom(spec: Any) -> None:
    exc = raised(lambda: bytearray(2**62))
    assert errors.classify(exc, spec).failure_class == "out_of_memory"


def test_a_read_timeout_is_a_timeout(spec: Any) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts, never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    exc = raised(lambda: httpx.get(url, timeout=0.2))
    silent.close()

    assert errors.classify(exc, spec).failure_class == "timeout"


def test_connection_refused_is_a_network_failure(spec: Any) -> None:
    port_socket = socket.socket()
    port_socket.bind(("127.0.0.1", 0))
    port = port_socket.getsockname()[1]
    port_socket.close()  # nothing listens there now
    exc = raised(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=2))

    assert errors.classify(exc, spec).failure_class == "network_storage"


def test_a_missing_object_is_a_storage_failure(spec: Any, tmp_path: Path) -> None:
    exc = raised(lambda: LocalDirStore(tmp_path / "empty").get_bytes("nope.json"))
    assert errors.classify(exc, spec).failure_class == "network_storage"


def test_an_unexpected_bug_is_internal_and_keeps_its_message(spec: Any) -> None:
    exc = raised(lambda: {}["adapter"])
    verdict = errors.classify(exc, spec)
    assert verdict.failure_class == "internal" and "KeyError" in verdict.message


def test_a_refused_storage_grant_is_a_storage_failure_that_says_why(spec: Any) -> None:
    exc = StorageRefused("job storage refused 'jobs/x/a.bin': the storage grant has expired.")
    failed = errors.classify(exc, spec)
    assert failed.failure_class == "network_storage" and "grant has expired" in failed.message
