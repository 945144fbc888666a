"""Conversation-prefix packing: one forward pass trains every turn of a conversation it contains.

Turn k of a conversation, rendered and tokenised, is very often the exact start of turn k+1:
the generator writes the earlier target verbatim into the later pair's history. Under causal
attention a token sees only what precedes it, so turn k's target tokens get exactly the same
logits, loss and gradients inside the longer sequence as in their own example. Folding turn k
into turn k+1 (labels merged) therefore trains the same targets while computing the shared
prompt once instead of once per turn — attention never crosses an example boundary, because
there is none: it is one real conversation.

The test is on tokens, not on the file's claims: a truncated example, a history that paraphrases
the earlier target, or a template that renders history differently simply does not match, and
stays an example of its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from trainer.data import IGNORE_INDEX, Example, PreparedData


def _starts_with(longer: list[int], prefix: list[int]) -> bool:
    return len(longer) >= len(prefix) and longer[:len(prefix)] == prefix


def _fold(into: Example, example: Example) -> Example:
    labels = list(into.labels)
    for i, label in enumerate(example.labels):
        if label != IGNORE_INDEX:
            labels[i] = label  # the label is the token itself, so it can only agree
    return replace(into, labels=labels, covers=(*into.covers, example.id, *example.covers))


def pack_conversation_prefixes(examples: list[Example]) -> list[Example]:
    """The examples with each one folded into a longer one of its conversation that starts with
    exactly its tokens. Order: the first appearance of each kept sequence, as given."""
    by_conversation: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_conversation[example.conversation_id].append(index)
    kept: dict[int, Example] = {}
    for indices in by_conversation.values():
        longest_first = sorted(indices, key=lambda i: (-len(examples[i].input_ids), i))
        hosts: list[int] = []
        for i in longest_first:
            host = next((h for h in hosts
                         if _starts_with(kept[h].input_ids, examples[i].input_ids)), None)
            if host is None:
                hosts.append(i)
                kept[i] = examples[i]
            else:
                kept[host] = _fold(kept[host], examples[i])
    return [kept[i] for i in sorted(kept)]


def pair_count(examples: list[Example]) -> int:
    """Training pairs the (possibly packed) examples train."""
    return sum(1 + len(e.covers) for e in examples)


def packed(prepared: PreparedData) -> PreparedData:
    """The same data, train and validation each packed (the split is by conversation, so no
    sequence mixes the two)."""
    return replace(prepared, train=pack_conversation_prefixes(prepared.train),
                   val=pack_conversation_prefixes(prepared.val))
