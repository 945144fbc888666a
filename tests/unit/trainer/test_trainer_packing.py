"""Conversation-prefix packing: the same targets, the same loss, fewer tokens computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from trainer_testkit import pair

from libs.common.training_format import iter_examples, parse_training_file
from proto.cost import EstimateRequest
from proto.training import LoraSettings
from services.jobs.training_file_stats import compute_stats
from trainer import data, loop, model, packing
from trainer.batching import collate
from trainer.data import IGNORE_INDEX, build_example
from trainer.packing import pack_conversation_prefixes, pair_count

SAMPLE = Path(__file__).parents[3] / "services/cli/samples/financial-advisory-sample.json"
SYSTEM = "You are a calm financial advisor."
TURN1 = ("I keep putting off my pension.", "That is common; let us look at one small step.")
TURN2 = ("What would that step be?", "Raise your contribution by one percent this month.")


def conversation(tokenizer: Any, history_reply: str = TURN1[1]) -> list:
    first = pair("c1_turn1", user=TURN1[0], target=TURN1[1], system=SYSTEM)
    second = pair("c1_turn2", history=[("user", TURN1[0]), ("assistant", history_reply)],
                  user=TURN2[0], target=TURN2[1], system=SYSTEM)
    return [build_example(p, tokenizer, max_seq_len=512)[0] for p in (first, second)]


def labelled(example) -> list[int]:
    return [t for t in example.labels if t != IGNORE_INDEX]


def test_a_turn_that_starts_the_next_turn_is_packed_into_it_with_both_targets(
        tokenizer: Any) -> None:
    first, second = conversation(tokenizer)

    packed = pack_conversation_prefixes([first, second])

    assert len(packed) == 1 and pair_count(packed) == 2
    assert packed[0].input_ids == second.input_ids and packed[0].covers == ("c1_turn1",)
    assert labelled(packed[0]) == labelled(first) + labelled(second)


def test_a_history_that_differs_from_the_earlier_target_is_not_packed(tokenizer: Any) -> None:
    first, second = conversation(tokenizer, history_reply="A paraphrase of the earlier reply.")

    assert pack_conversation_prefixes([first, second]) == [first, second]


def test_other_conversations_are_never_packed_together(tokenizer: Any) -> None:
    first, second = conversation(tokenizer)
    elsewhere = type(first)(**{**first.__dict__, "id": "c2_turn1", "conversation_id": "c2"})

    packed = pack_conversation_prefixes([elsewhere, first, second])

    assert [e.id for e in packed] == ["c2_turn1", "c1_turn2"]


def test_the_packed_sequence_gives_the_same_summed_loss_as_separate_examples(
        tokenizer: Any) -> None:
    first, second = conversation(tokenizer)
    (packed,) = pack_conversation_prefixes([first, second])
    base = model.load_base(None, tokenizer, "cpu", False)
    lora = model.attach_lora(base, LoraSettings(r=4, alpha=8, dropout=0.0), 1, "cpu", False)
    lora.eval()
    pad = tokenizer.pad_token_id

    with torch.no_grad():
        apart = [loop.loss_sum(lora, collate([e], pad)) for e in (first, second)]
        together = loop.loss_sum(lora, collate([packed], pad))

    assert together[1] == sum(n for _, n in apart)
    assert together[0].item() == pytest.approx(sum(s.item() for s, _ in apart), rel=1e-5)


def test_the_file_stats_count_the_sequences_packing_makes_at_each_max_length(
        tokenizer: Any) -> None:
    # The estimate steps through the stats' count (services/jobs/training_file_stats.py), which
    # estimates tokens from characters; packing here works on real tokens, so the two may be a
    # few apart where a host's length is near the max length.
    training_file = parse_training_file(SAMPLE.read_bytes(), SAMPLE.name)
    stats, pairs = compute_stats(training_file), list(iter_examples(training_file))
    for max_len in (256, 384, 512, 768, 1024):
        prepared = packing.packed(data.prepare(pairs, tokenizer, max_len, seed=1))
        trainer = len(prepared.train) + len(prepared.val)
        counted = EstimateRequest(
            estimated_tokens=stats.estimated_tokens, usable_pairs=stats.usable_pair_count,
            sequences=stats.sequence_count, packed_host_tokens=stats.packed_host_tokens,
        ).sequences_at(max_len)
        assert abs(counted - trainer) <= 3, (max_len, counted, trainer)
