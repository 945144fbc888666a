"""Training data: a training file in storage → tokenised examples, split by conversation.

A training example is system prompt + history + current user input → target response, rendered
with the base model's own chat template; loss is on the target tokens (and the end-of-turn token)
only (spec/training-file-format.md §2). Long examples lose their oldest history turns first,
then the left of the prompt; the counts go to the user in DataReport.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from libs.common.storage import ObjectStore
from libs.common.training_format import (
    TrainingFile,
    TrainingPair,
    Turn,
    iter_examples,
    parse_training_file,
)
from proto.training import VAL_FRACTION
from trainer.errors import TrainingDataError

IGNORE_INDEX = -100  # label value cross-entropy skips: prompt tokens and padding
ROLES = ("user", "assistant")


@dataclass(frozen=True)
class Example:
    id: str
    conversation_id: str
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX except on target tokens (+ EOS)
    covers: tuple[str, ...] = ()  # ids of earlier turns packed into this sequence (packing.py)

    @property
    def target_count(self) -> int:
        """The tokens this example trains on."""
        return sum(1 for t in self.labels if t != IGNORE_INDEX)


@dataclass
class PreparedData:
    train: list[Example]
    val: list[Example]
    skipped: dict[str, str] = field(default_factory=dict)  # pair id -> why, field named
    truncated_examples: int = 0
    dropped_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return sum(len(e.input_ids) for e in self.train)

    def fingerprint(self) -> str:
        """Identifies the training set, so a resume onto different data is noticed."""
        ids = "\n".join(f"{e.id}:{len(e.input_ids)}" for e in self.train)
        return hashlib.sha256(ids.encode()).hexdigest()[:16]


class SkippedRecord(Exception):
    def __init__(self, field_name: str, why: str) -> None:
        super().__init__(f"{field_name}: {why}")


def load_training_file(store: ObjectStore, key: str) -> TrainingFile:
    return parse_training_file(store.get_bytes(key), key.rsplit("/", 1)[-1])


def load_pairs(store: ObjectStore, key: str) -> list[TrainingPair]:
    """The usable pairs of the training file (null targets are context, not examples)."""
    return list(iter_examples(load_training_file(store, key)))


def prepare(pairs: list[TrainingPair], tokenizer: Any, max_seq_len: int, seed: int,
            on_progress: Callable[[int], None] | None = None) -> PreparedData:
    """`on_progress(done)` after each pair tokenised (trainer/progress.py throttles it)."""
    train_pairs, val_pairs = split_by_conversation(pairs, seed)
    data = PreparedData(train=[], val=[])
    done = 0
    for subset, out in ((train_pairs, data.train), (val_pairs, data.val)):
        for pair in subset:
            done += 1
            try:
                example, dropped = build_example(pair, tokenizer, max_seq_len)
            except SkippedRecord as exc:
                data.skipped[pair.id] = str(exc)
                continue
            finally:
                if on_progress is not None:
                    on_progress(done)
            out.append(example)
            data.truncated_examples += dropped > 0
            data.dropped_tokens += dropped
    if not data.train:
        first = next(iter(data.skipped.items()), None)
        detail = f" The first: pair {first[0]!r}, {first[1]}." if first else ""
        raise TrainingDataError(
            f"No trainable examples: {len(pairs)} usable pairs, {len(data.skipped)} could not be "
            f"rendered or tokenised.{detail}",
            "Fix the named pairs in the training file and upload it again.",
        )
    return data


# --- one example --------------------------------------------------------------------------------


def _check_record(pair: TrainingPair) -> None:
    if not isinstance(pair.system_prompt, str):
        raise SkippedRecord("system_prompt", "is not text")
    if not isinstance(pair.current_user_input, str):
        raise SkippedRecord("current_user_input", "is not text")
    for i, turn in enumerate(pair.history):
        if turn.role not in ROLES:
            raise SkippedRecord(f"conversation_history[{i}].role",
                                f"is {turn.role!r}; the chat template takes 'user' or 'assistant'")
        if not isinstance(turn.content, str):
            raise SkippedRecord(f"conversation_history[{i}].content", "is not text")


def _messages(pair: TrainingPair, history: list[Turn]) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": pair.system_prompt}] if pair.system_prompt else []
    messages += [{"role": t.role, "content": t.content} for t in history]
    return messages + [{"role": "user", "content": pair.current_user_input}]


def _render(tokenizer: Any, messages: list[dict[str, str]], **kwargs: Any) -> str:
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, **kwargs)
    except Exception as exc:  # jinja raises for shapes a template refuses (e.g. role order)
        raise SkippedRecord("conversation_history",
                            f"the model's chat template cannot render it: {exc}") from exc


def _encode(tokenizer: Any, text: str) -> list[int]:
    # The rendered template already carries its special tokens (BOS, turn markers).
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _target_ids(tokenizer: Any, pair: TrainingPair) -> list[int]:
    """The assistant turn as the template writes it, cut after the end-of-turn token."""
    messages = _messages(pair, pair.history)
    prompt = _render(tokenizer, messages, add_generation_prompt=True)
    full = _render(tokenizer, messages + [{"role": "assistant", "content": pair.target_response}])
    completion = full[len(prompt):] if full.startswith(prompt) else pair.target_response
    ids = _encode(tokenizer, completion)
    eos = tokenizer.eos_token_id
    ids = ids[: ids.index(eos) + 1] if eos in ids else ids + [eos]
    if len(ids) <= 1 or not pair.target_response.strip():
        raise SkippedRecord("target_response", "is empty after tokenisation")
    return ids


def build_example(pair: TrainingPair, tokenizer: Any, max_seq_len: int) -> tuple[Example, int]:
    """The example and how many tokens truncation dropped from it."""
    _check_record(pair)
    target = _target_ids(tokenizer, pair)
    history = list(pair.history)
    prompt = _encode(tokenizer, _render(tokenizer, _messages(pair, history),
                                        add_generation_prompt=True))
    full_length = len(prompt) + len(target)
    # The oldest turns say least about the reply being learnt: drop them first.
    while len(prompt) + len(target) > max_seq_len and history:
        history.pop(0)
        prompt = _encode(tokenizer, _render(tokenizer, _messages(pair, history),
                                            add_generation_prompt=True))
    # Never let the target crowd out the whole prompt: the model must see what it answers.
    min_prompt = min(len(prompt), max_seq_len // 4)
    if len(target) > max_seq_len - min_prompt:
        target = target[: max_seq_len - min_prompt]
    room = max_seq_len - len(target)
    if len(prompt) > room:
        prompt = prompt[len(prompt) - room:]
    input_ids = prompt + target
    labels = [IGNORE_INDEX] * len(prompt) + target
    example = Example(pair.id, pair.conversation_id, input_ids, labels)
    return example, full_length - len(input_ids)


# --- split ----------------------------------------------------------------------------------------


def _unit_hash(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_by_conversation(pairs: list[TrainingPair], seed: int
                          ) -> tuple[list[TrainingPair], list[TrainingPair]]:
    """80/20 by conversation, so no validation target was seen as history in training.

    A pure function of (seed, conversation ids): the same file always splits the same way.
    """
    conversations = sorted({p.conversation_id for p in pairs})
    if len(conversations) < 2:
        # One conversation cannot be split by conversation; hold out pairs so eval still runs.
        unit = {p.id: _unit_hash(seed, p.id) for p in pairs}
        val_ids = {p.id for p in pairs if unit[p.id] < VAL_FRACTION}
        if len(pairs) >= 2 and not val_ids:
            val_ids = {min(unit, key=unit.__getitem__)}
        if len(val_ids) == len(pairs) and pairs:
            val_ids.discard(max(unit, key=unit.__getitem__))
        return ([p for p in pairs if p.id not in val_ids], [p for p in pairs if p.id in val_ids])
    unit = {c: _unit_hash(seed, c) for c in conversations}
    val = {c for c in conversations if unit[c] < VAL_FRACTION}
    if not val:  # small files still get a validation conversation
        val = {min(conversations, key=unit.__getitem__)}
    if len(val) == len(conversations):
        val.discard(max(conversations, key=unit.__getitem__))
    return ([p for p in pairs if p.conversation_id not in val],
            [p for p in pairs if p.conversation_id in val])
