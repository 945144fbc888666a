"""Training sets without I/O (issue 17): combining parsed files counts a conversation once (by
id, or by the content of its turns), the combined file written for the trainer parses back to
the same conversations with true counts, and the set's eligibility says what a set needs."""

import json

from libs.common.training_format import parse_training_file
from libs.common.training_format.combine import combine
from libs.common.training_format.write import to_aggregated_json
from services.jobs.training_file_stats import compute_stats
from services.jobs.training_sets import member_labels, set_eligibility


def sharegpt(*questions: str, cid: str | None = None) -> dict:
    turns = []
    for q in questions:
        turns += [{"from": "human", "value": q}, {"from": "gpt", "value": f"answer to {q}"}]
    return {"conversations": turns, **({"id": cid} if cid else {})}


def parsed(rows: list[dict]):
    return parse_training_file(json.dumps(rows).encode(), "x.json")


def test_a_repeat_by_id_and_a_repeat_by_content_are_each_counted_once() -> None:
    a = parsed([sharegpt("q1", cid="one"), sharegpt("q2", cid="two")])
    b = parsed([sharegpt("other words", cid="one"), sharegpt("q2", cid="renamed"),
                sharegpt("q3", cid="three")])
    combined, duplicates = combine([("a.json", a), ("b.json", b)], "set")
    assert [c.conversation_id for c in combined.conversations] == ["one", "two", "three"]
    assert [(d.conversation_id, d.file, d.position, d.same_as, d.kept_in, d.by)
            for d in duplicates] == [("one", "b.json", 1, "one", "a.json", "id"),
                                     ("renamed", "b.json", 2, "two", "a.json", "content")]


def test_a_repeat_inside_one_file_is_found_too() -> None:
    one = parsed([sharegpt("q1"), sharegpt("q1"), sharegpt("q2")])
    combined, duplicates = combine([("a.json", one)], "set")
    assert len(combined.conversations) == 2
    assert [(d.position, d.by) for d in duplicates] == [(2, "content")]


def test_made_up_ids_never_match_and_are_qualified_with_their_file() -> None:
    a, b = parsed([sharegpt("q1")]), parsed([sharegpt("q9")])  # both "entry-1"
    combined, duplicates = combine([("a.json", a), ("b.json", b)], "set")
    assert duplicates == []
    assert [c.conversation_id for c in combined.conversations] == ["a.json:entry-1",
                                                                   "b.json:entry-1"]
    assert {p.conversation_id for p in combined.conversations[1].pairs} == {"b.json:entry-1"}


def test_the_written_file_parses_back_with_the_same_pairs_and_true_counts() -> None:
    a = parsed([sharegpt("q1", "q2", cid="one")])
    raw = {"conversation_metadata": {"conversation_id": "r", "persona_key": "saver",
                                     "emotional_arc_key": "a", "training_topic_key": "t"},
           "turns": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]}
    b = parse_training_file(json.dumps(raw).encode(), "r.json")
    combined, _ = combine([("a.json", a), ("r.json", b)], "My set")
    back = parse_training_file(to_aggregated_json(combined), "combined.json")
    assert back.format == "brightrun-aggregated"
    assert back.metadata["file_name"] == "My set"
    assert [c.pairs for c in back.conversations] == [c.pairs for c in combined.conversations]
    assert back.conversations[1].scaffolding == combined.conversations[1].scaffolding
    stats = compute_stats(back)
    assert stats.counts_match_claims and stats.claim_mismatches == []
    assert (stats.claimed_conversation_count, stats.claimed_pair_count) == (2, 3)


def set_of(rows: list[dict]):
    combined, duplicates = combine([("a.json", parsed(rows))], "set")
    return compute_stats(combined), duplicates


def test_a_short_set_says_to_add_files_and_repeats_are_a_warning() -> None:
    stats, duplicates = set_of([sharegpt(f"q{n}") for n in range(3)] + [sharegpt("q0")])
    eligibility = set_eligibility(stats, duplicates, 50, ["sharegpt"])
    [problem] = eligibility.problems
    assert problem.code == "too_few_conversations" and not eligibility.eligible
    assert problem.message.startswith("This training set has 3 conversations")
    assert "Add more files to the set" in problem.how_to_fix
    [repeat] = [w for w in eligibility.warnings if w.code == "duplicate_conversations"]
    assert repeat.message.startswith("1 conversation appears more than once and is counted once")


def test_conversations_from_formats_without_enrichment_do_not_refuse_a_set() -> None:
    stats, duplicates = set_of([sharegpt(f"q{n}") for n in range(60)])
    assert set_eligibility(stats, duplicates, 50, ["sharegpt"]).eligible
    refused = set_eligibility(stats, duplicates, 50, ["brightrun-aggregated"])
    assert [p.code for p in refused.problems] == ["not_enriched"]


def test_files_sharing_a_filename_get_numbered_labels() -> None:
    rows = [{"filename": "export.json"}, {"filename": "export.json"}, {"filename": "b.json"}]
    assert member_labels(rows) == ["export.json", "export.json (2)", "b.json"]
