"""Training data: masking, truncation, the split, skipped records, the epoch order."""

from __future__ import annotations

from typing import Any

import pytest
from trainer_testkit import pair, words

from trainer.batching import plan_epoch, step_groups
from trainer.data import IGNORE_INDEX, build_example, prepare, split_by_conversation
from trainer.errors import TrainingDataError


def test_only_the_target_tokens_and_eos_carry_labels(tokenizer: Any) -> None:
    example, dropped = build_example(
        pair("p1", history=[("user", "Hi there"), ("assistant", "Hello!")],
             target="Put ten percent aside."), tokenizer, max_seq_len=512)

    labelled = [t for t in example.labels if t != IGNORE_INDEX]
    assert labelled == tokenizer("Put ten percent aside.", add_special_tokens=False)[
        "input_ids"] + [tokenizer.eos_token_id]
    # Labels sit exactly under the target at the end; everything before is masked.
    start = len(example.labels) - len(labelled)
    assert example.labels[:start] == [IGNORE_INDEX] * start
    assert example.input_ids[start:] == labelled
    prompt = tokenizer.decode(example.input_ids[:start])
    assert prompt.endswith("<|im_start|>assistant\n") and "Hi there" in prompt
    assert dropped == 0


def test_long_example_drops_the_oldest_history_turns_first_and_counts_tokens(
        tokenizer: Any) -> None:
    history = [("user", f"OLDEST {words(1, 40)}"), ("assistant", f"second {words(2, 40)}"),
               ("user", f"third {words(3, 40)}"), ("assistant", f"NEWEST {words(4, 40)}")]
    long_pair = pair("p1", history=history, target=words(5, 20))
    full, _ = build_example(long_pair, tokenizer, max_seq_len=4096)

    example, dropped = build_example(long_pair, tokenizer, max_seq_len=160)

    text = tokenizer.decode(example.input_ids)
    assert len(example.input_ids) <= 160
    assert "OLDEST" not in text and "NEWEST" in text
    assert "You are a calm financial advisor." in text  # the system prompt survives
    assert dropped == len(full.input_ids) - len(example.input_ids) > 0
    assert [t for t in example.labels if t != IGNORE_INDEX] == [
        t for t in full.labels if t != IGNORE_INDEX]  # the target is whole


def test_without_history_left_the_prompt_is_cut_from_its_left(tokenizer: Any) -> None:
    long_pair = pair("p1", user=f"START {words(6, 150)} END", target="Fine.")

    example, dropped = build_example(long_pair, tokenizer, max_seq_len=64)

    text = tokenizer.decode(example.input_ids)
    assert len(example.input_ids) == 64 and dropped > 0
    assert "START" not in text and "END" in text and text.endswith("Fine.<|im_end|>")


def test_data_report_counts_truncated_examples_and_dropped_tokens(tokenizer: Any) -> None:
    pairs = [pair(f"p{i}", conversation=f"c{i % 3}", user=words(i, 10 + 60 * (i % 2)),
                  target=words(i, 8)) for i in range(12)]

    data = prepare(pairs, tokenizer, max_seq_len=64, seed=1)

    long_ones = {p.id for p in pairs if int(p.id[1:]) % 2}
    assert data.truncated_examples == len(long_ones)
    assert data.dropped_tokens > 0
    assert all(len(e.input_ids) <= 64 for e in data.train + data.val)


def test_split_is_by_conversation_roughly_80_20_and_repeatable() -> None:
    pairs = [pair(f"c{c}_t{t}", conversation=f"conversation-{c}") for c in range(50)
             for t in range(3)]

    train, val = split_by_conversation(pairs, seed=42)

    train_convs = {p.conversation_id for p in train}
    val_convs = {p.conversation_id for p in val}
    assert not train_convs & val_convs  # no conversation on both sides
    assert len(train) + len(val) == len(pairs)
    assert 5 <= len(val_convs) <= 15
    assert split_by_conversation(list(reversed(pairs)), seed=42)[1] == list(reversed(val))
    assert {p.conversation_id for p in split_by_conversation(pairs, seed=43)[1]} != val_convs


@pytest.mark.parametrize("conversations", [2, 3])
def test_small_files_still_get_a_validation_conversation(conversations: int) -> None:
    pairs = [pair(f"c{c}_t{t}", conversation=f"c{c}") for c in range(conversations)
             for t in range(2)]

    for seed in range(20):
        train, val = split_by_conversation(pairs, seed)
        assert len({p.conversation_id for p in val}) >= 1 and train


def test_records_the_template_cannot_render_are_skipped_and_reported_by_id(
        tokenizer: Any) -> None:
    pairs = [pair(f"ok{i}", conversation=f"c{i}") for i in range(4)]
    pairs.append(pair("bad_turn2", conversation="c9", history=[("narrator", "Meanwhile...")]))

    data = prepare(pairs, tokenizer, max_seq_len=128, seed=1)

    assert set(data.skipped) == {"bad_turn2"}
    assert "conversation_history[0].role" in data.skipped["bad_turn2"]
    assert all(e.id != "bad_turn2" for e in data.train + data.val)
    assert len(data.train) + len(data.val) == 4


def test_no_trainable_example_left_is_a_data_error_naming_pair_and_field(
        tokenizer: Any) -> None:
    pairs = [pair("only_turn1", history=[("narrator", "Meanwhile...")])]

    with pytest.raises(TrainingDataError) as raised:
        prepare(pairs, tokenizer, max_seq_len=128, seed=1)

    assert "only_turn1" in str(raised.value)
    assert "conversation_history[0].role" in str(raised.value)


def test_epoch_order_is_a_pure_function_of_seed_and_epoch() -> None:
    lengths = [(i * 37) % 101 + 5 for i in range(40)]

    first = plan_epoch(lengths, 4, seed=3, epoch=1)

    assert first == plan_epoch(lengths, 4, seed=3, epoch=1)
    assert first != plan_epoch(lengths, 4, seed=3, epoch=2)
    assert first != plan_epoch(lengths, 4, seed=4, epoch=1)
    assert sorted(i for batch in first for i in batch) == list(range(40))
    # Length-grouped: the longest batch leads, so a memory problem shows at step 1.
    assert max(lengths[i] for i in first[0]) == max(lengths)
    assert [len(g) for g in step_groups(first, 3)] == [3, 3, 3, 1]
