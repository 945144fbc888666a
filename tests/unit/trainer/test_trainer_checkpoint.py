"""Checkpoints: a round trip restores everything; a corrupt one is passed over, and said so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from trainer_testkit import events, losses_by_step, make_job, run_in_process

from libs.common.storage import LocalDirStore
from proto.training import CheckpointSaved, Completed, LoraSettings, ModelRef, StageChanged
from trainer import checkpoint, loop, model
from trainer.checkpoint import TrainerState


def tiny_run(tokenizer: Any) -> tuple[Any, torch.optim.Optimizer, Any]:
    peft_model = model.attach_lora(model.load_base(None, tokenizer, "cpu", False),
                                   LoraSettings(r=4, alpha=8), seed=1, on="cpu", nf4=False)
    optimizer = torch.optim.AdamW(model.trainable_parameters(peft_model), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, loop.WarmupDecay(2, 10))
    return peft_model, optimizer, scheduler


def one_step(peft_model: Any, optimizer: torch.optim.Optimizer, scheduler: Any) -> None:
    ids = torch.randint(0, 1000, (2, 16))
    peft_model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()


def adapter_weights(peft_model: Any) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in peft_model.named_parameters() if p.requires_grad}


def test_round_trip_restores_adapter_optimizer_scheduler_rng_and_position(
        tmp_path: Path, tokenizer: Any) -> None:
    store = LocalDirStore(tmp_path / "store")
    peft_model, optimizer, scheduler = tiny_run(tokenizer)
    one_step(peft_model, optimizer, scheduler)
    state = TrainerState(step=1, epoch=0, group=1, losses=[2.5], tokens_trained=32,
                         config={"lora": {"r": 4}})
    saved_weights = adapter_weights(peft_model)
    saved_moments = optimizer.state_dict()["state"][0]["exp_avg"].clone()
    key, size = checkpoint.save(store, "jobs/a", peft_model, optimizer, scheduler, state, keep=3)
    expected_random = torch.rand(3)

    fresh_model, fresh_optimizer, fresh_scheduler = tiny_run(tokenizer)
    one_step(fresh_model, fresh_optimizer, fresh_scheduler)  # wander off, then come back
    found, notes = checkpoint.find_restorable(store, "jobs/a", None, tmp_path / "work")
    restored = checkpoint.restore(found, fresh_model, fresh_optimizer, fresh_scheduler)

    assert key == "jobs/a/checkpoints/step-00000001" and size > 0 and not notes
    assert restored == state
    for name, tensor in adapter_weights(fresh_model).items():
        assert torch.equal(tensor, saved_weights[name]), name
    assert torch.equal(fresh_optimizer.state_dict()["state"][0]["exp_avg"], saved_moments)
    assert fresh_scheduler.state_dict()["last_epoch"] == 1
    assert torch.equal(torch.rand(3), expected_random)


def save_steps(store: LocalDirStore, tokenizer: Any, steps: list[int], keep: int = 5) -> None:
    peft_model, optimizer, scheduler = tiny_run(tokenizer)
    for step in steps:
        checkpoint.save(store, "jobs/a", peft_model, optimizer, scheduler,
                        TrainerState(step=step), keep=keep)


def test_corrupt_newest_checkpoint_falls_back_to_the_previous_and_says_so(
        tmp_path: Path, tokenizer: Any) -> None:
    store = LocalDirStore(tmp_path / "store")
    save_steps(store, tokenizer, [2, 4])
    weights = tmp_path / "store/jobs/a/checkpoints/step-00000004/adapter/adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")

    found, notes = checkpoint.find_restorable(store, "jobs/a", None, tmp_path / "work")

    assert found is not None and found.step == 2
    assert len(notes) == 1 and "step-00000004" in notes[0] and "checksum" in notes[0]


def test_a_checkpoint_without_manifest_does_not_exist(tmp_path: Path, tokenizer: Any) -> None:
    store = LocalDirStore(tmp_path / "store")
    save_steps(store, tokenizer, [2, 4])
    store.delete("jobs/a/checkpoints/step-00000004/manifest.json")  # killed mid-write

    found, notes = checkpoint.find_restorable(store, "jobs/a", None, tmp_path / "work")

    assert found is not None and found.step == 2 and notes == []


def test_only_the_last_k_checkpoints_are_kept(tmp_path: Path, tokenizer: Any) -> None:
    store = LocalDirStore(tmp_path / "store")

    save_steps(store, tokenizer, [1, 2, 3, 4, 5], keep=2)

    assert sorted(checkpoint.list_steps(store, "jobs/a")) == [4, 5]


def test_resume_from_names_an_older_checkpoint(tmp_path: Path, tokenizer: Any) -> None:
    store = LocalDirStore(tmp_path / "store")
    save_steps(store, tokenizer, [2, 4])

    found, _ = checkpoint.find_restorable(store, "jobs/a", "jobs/a/checkpoints/step-00000002/",
                                          tmp_path / "work")

    assert found is not None and found.step == 2
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.find_restorable(store, "jobs/a", "jobs/a/checkpoints/step-00000003",
                                   tmp_path / "work")


def test_resume_takes_the_runs_shape_from_the_checkpoint_and_warns(tmp_path: Path) -> None:
    from trainer_testkit import load_spec

    spec = load_spec(make_job(tmp_path))
    saved = checkpoint.run_config(spec)
    saved["hyperparameters"]["learning_rate"] = 5e-4
    saved["hyperparameters"]["checkpoint_every_steps"] = 99  # how often to save: not the shape
    saved["model"] = {**saved["model"], "name": ModelRef().name}

    resolved, warnings = checkpoint.resume_shape(spec, saved)

    assert resolved.hyperparameters.learning_rate == 5e-4
    assert resolved.model.name == ModelRef().name
    assert resolved.hyperparameters.checkpoint_every_steps == spec.hyperparameters.checkpoint_every_steps
    assert len(warnings) == 2 and any("learning_rate" in w for w in warnings)


def test_a_run_resumes_past_a_corrupt_checkpoint_and_ends_where_it_would_have(
        tmp_path: Path) -> None:
    spec = make_job(tmp_path, epochs=1, checkpoint_every_steps=2)
    assert run_in_process(spec) == 0
    first = losses_by_step(tmp_path)
    saved = [e for e in events(tmp_path) if isinstance(e, CheckpointSaved)]
    newest, previous = saved[-1], saved[-2]
    optimizer_file = tmp_path / "store" / newest.key / "optimizer.pt"
    optimizer_file.write_bytes(b"garbage" + optimizer_file.read_bytes())

    assert run_in_process(spec) == 0

    stages = [e for e in events(tmp_path) if isinstance(e, StageChanged) and e.stage == "training"]
    assert stages[-1].detail == (f"checkpoint step-{newest.step:08d} corrupt (optimizer.pt does not "
                                 f"match its checksum), resumed from step-{previous.step:08d}")
    assert losses_by_step(tmp_path) == first  # the replayed steps came out the same
    assert isinstance(events(tmp_path)[-1], Completed)
