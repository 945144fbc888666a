"""ShareGPT, Alpaca and the generator's raw conversations (issue 17): detected by content, made
into pairs with their history, null/blank targets kept as context, broken JSON located, and
every count a file claims checked against what it holds."""

import json
from typing import Any

import pytest

from libs.common.training_format import TrainingFormatError, iter_examples, parse_training_file
from services.jobs.training_file_eligibility import check_eligibility
from services.jobs.training_file_stats import compute_stats


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"\n".join(json.dumps(row).encode() for row in rows) + b"\n"


def sharegpt(*replies: str | None, **extra: Any) -> dict[str, Any]:
    turns: list[dict[str, Any]] = [{"from": "system", "value": "You are a planner."}]
    for n, reply in enumerate(replies, 1):
        turns += [{"from": "human", "value": f"question {n}"}, {"from": "gpt", "value": reply}]
    return {"conversations": turns, **extra}


def alpaca(output: str | None = "Start with an emergency fund.", **extra: Any) -> dict[str, Any]:
    return {"instruction": "How do I start saving?", "input": "I earn $4,000 a month.",
            "output": output, **extra}


def raw(*replies: str | None, total_turns: int | None = None, cid: str = "c-1") -> dict[str, Any]:
    turns = []
    for n, reply in enumerate(replies, 1):
        turns += [{"role": "user", "content": f"question {n}"},
                  {"role": "assistant", "content": reply}]
    metadata = {"conversation_id": cid, "persona_key": "saver", "quality_tier": "experimental"}
    if total_turns is not None:
        metadata["total_turns"] = total_turns
    return {"conversation_metadata": metadata, "system_prompt": "You are a planner.",
            "turns": turns}


def error_of(data: bytes, filename: str = "upload.json") -> TrainingFormatError:
    with pytest.raises(TrainingFormatError) as caught:
        parse_training_file(data, filename)
    return caught.value


# --- detection by content -------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (json.dumps([sharegpt("a"), sharegpt("b")]).encode(), "sharegpt"),
    (jsonl([sharegpt("a"), sharegpt("b")]), "sharegpt"),
    (json.dumps(sharegpt("a")).encode(), "sharegpt"),
    (json.dumps([alpaca(), alpaca()]).encode(), "alpaca"),
    (jsonl([alpaca(), alpaca()]), "alpaca"),
    (json.dumps(raw("a")).encode(), "brightrun-raw"),
    (json.dumps([raw("a"), raw("b", cid="c-2")]).encode(), "brightrun-raw"),
    (jsonl([raw("a"), raw("b", cid="c-2")]), "brightrun-raw"),
])
def test_format_is_detected_by_content_whatever_the_extension(data: bytes, expected: str) -> None:
    for filename in ("export.json", "export.jsonl", "export.txt"):
        assert parse_training_file(data, filename).format == expected


def test_sharegpt_variants_with_role_and_content_and_user_assistant_speakers() -> None:
    row = {"id": "conv-9", "system": "Be kind.", "conversations": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    [conversation] = parse_training_file(jsonl([row]), "x.jsonl").conversations
    assert conversation.conversation_id == "conv-9" and conversation.id_from_file
    [pair] = conversation.pairs
    assert (pair.system_prompt, pair.current_user_input, pair.target_response) == (
        "Be kind.", "Hi", "Hello!")


# --- pairs and history ----------------------------------------------------------------------------


def test_sharegpt_each_reply_is_a_pair_with_the_turns_before_it_as_history() -> None:
    parsed = parse_training_file(json.dumps([sharegpt("one", "two")]).encode(), "x.json")
    first, second = parsed.conversations[0].pairs
    assert first.system_prompt == "You are a planner." and first.history == []
    assert (second.current_user_input, second.target_response) == ("question 2", "two")
    assert [(t.role, t.content) for t in second.history] == [
        ("user", "question 1"), ("assistant", "one")]
    assert not parsed.conversations[0].id_from_file  # "entry-1" is made up


def test_alpaca_instruction_and_input_are_the_question_and_history_comes_first() -> None:
    row = alpaca(system="You are a planner.", history=[["Hello", "Hi, how can I help?"]])
    first, second = parse_training_file(jsonl([row]), "x.jsonl").conversations[0].pairs
    assert (first.current_user_input, first.target_response) == ("Hello", "Hi, how can I help?")
    assert second.current_user_input == "How do I start saving?\n\nI earn $4,000 a month."
    assert second.target_response == "Start with an emergency fund."
    assert [t.role for t in second.history] == ["user", "assistant"]
    assert second.system_prompt == "You are a planner."


def test_generator_raw_turns_make_pairs_scaffolding_and_quality_tier() -> None:
    parsed = parse_training_file(json.dumps(raw("one", "two")).encode(), "c.json")
    [conversation] = parsed.conversations
    assert conversation.conversation_id == "c-1" and conversation.quality_tier == "experimental"
    assert conversation.scaffolding is not None and conversation.scaffolding.persona_key == "saver"
    assert [p.target_response for p in conversation.pairs] == ["one", "two"]
    assert len(conversation.pairs[1].history) == 2


# --- null and blank targets -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    json.dumps([sharegpt(None, " ", "real")]).encode(),
    jsonl([alpaca(None), alpaca(" "), alpaca("real")]),
    json.dumps(raw(None, " ", "real")).encode(),
])
def test_null_and_blank_targets_are_context_not_examples(data: bytes) -> None:
    parsed = parse_training_file(data, "x.json")
    stats = compute_stats(parsed)
    assert (stats.pair_count, stats.usable_pair_count) == (3, 1)
    assert [p.target_response for p in iter_examples(parsed)] == ["real"]


def test_blank_alpaca_instruction_makes_the_example_unusable() -> None:
    parsed = parse_training_file(jsonl([alpaca(instruction="", input="")]), "x.jsonl")
    assert compute_stats(parsed).usable_pair_count == 0


# --- eligibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "fmt"), [
    ([sharegpt("a") for _ in range(60)], "ShareGPT"),
    ([alpaca() for _ in range(60)], "Alpaca"),
])
def test_no_enrichment_is_a_warning_not_a_problem(rows: list, fmt: str) -> None:
    eligibility = check_eligibility(compute_stats(parse_training_file(jsonl(rows), "x.jsonl")))
    assert eligibility.eligible
    [warning] = [w for w in eligibility.warnings if w.code == "not_enriched"]
    assert f"({fmt} files do not carry them)" in warning.message


def test_generator_raw_conversations_are_said_to_be_before_enrichment() -> None:
    rows = [raw("a", cid=f"c-{n}") for n in range(60)]
    eligibility = check_eligibility(compute_stats(parse_training_file(jsonl(rows), "x.jsonl")))
    assert eligibility.eligible
    [warning] = [w for w in eligibility.warnings if w.code == "not_enriched"]
    assert "before enrichment" in warning.message and warning.how_to_fix


def test_too_few_conversations_points_to_training_sets() -> None:
    eligibility = check_eligibility(compute_stats(
        parse_training_file(jsonl([alpaca()] * 3), "x.jsonl")))
    [problem] = eligibility.problems
    assert problem.code == "too_few_conversations"
    assert "POST /api/v1/training-sets" in problem.how_to_fix
    assert "Combine with other files" in problem.how_to_fix


# --- broken JSON and wrong shapes -----------------------------------------------------------------


def test_broken_json_list_reports_line_and_column() -> None:
    text = json.dumps([sharegpt("a"), sharegpt("b")], indent=2)
    text = text.replace('"b"', '"b" x', 1)
    line = next(n for n, s in enumerate(text.split("\n"), 1) if '"b" x' in s)
    error = error_of(text.encode())
    assert error.code == "invalid_json"
    assert error.details["line"] == line
    assert error.details["column"] == text.split("\n")[line - 1].index("x") + 1


def test_broken_jsonl_line_is_reported_with_its_line_number() -> None:
    data = jsonl([alpaca(), alpaca()]) + b'{"instruction": "x", "output": "y",}\n'
    error = error_of(data, "x.jsonl")
    assert (error.code, error.details["line"]) == ("invalid_json", 3)


@pytest.mark.parametrize(("data", "field", "where"), [
    (json.dumps([sharegpt("a"), {"conversations": [{"value": "hi"}]}]).encode(), "from", "entry"),
    (jsonl([alpaca(), {"instruction": "x", "input": ""}]), "output", "line"),
    (jsonl([raw("a"), {"conversation_metadata": {}, "turns": [{"role": "user"}]}]),
     "content", "line"),
])
def test_missing_field_names_the_entry_or_line(data: bytes, field: str, where: str) -> None:
    error = error_of(data)
    assert (error.code, error.details["field"], error.details[where]) == ("missing_field", field, 2)
    assert field in error.message and error.how_to_fix


def test_alpaca_history_that_is_not_pairs_is_a_wrong_type() -> None:
    error = error_of(jsonl([alpaca(history=[["only one"]])]))
    assert error.code == "wrong_type" and "History entry 1 of line 1" in error.message


def test_a_list_of_anything_else_is_still_an_unknown_format() -> None:
    assert error_of(b'[{"name": "x"}]').code == "unknown_format"


# --- claimed counts -------------------------------------------------------------------------------


def mismatches(data: bytes) -> list:
    return compute_stats(parse_training_file(data, "x.json")).claim_mismatches


def test_generator_raw_total_turns_is_checked_with_both_numbers() -> None:
    [claim] = mismatches(json.dumps(raw("a", "b", total_turns=7)).encode())
    assert (claim.claimed, claim.actual) == (7, 4)
    stats = compute_stats(parse_training_file(json.dumps(raw("a", "b", total_turns=7)).encode(),
                                              "x.json"))
    [warning] = [w for w in check_eligibility(stats).warnings if w.code == "claimed_counts_differ"]
    assert "says 7 but the file holds 4" in warning.message


@pytest.mark.parametrize("claimed", [4, 2])  # each message a turn, or each exchange one
def test_generator_raw_total_turns_true_under_either_reading_is_no_mismatch(claimed: int) -> None:
    assert mismatches(json.dumps(raw("a", "b", total_turns=claimed)).encode()) == []


def aggregated(total_turns: int, reviewed: int, personas: dict[str, int]) -> bytes:
    pair = {"id": "p1", "current_user_input": "Hi", "target_response": "Hello",
            "training_metadata": {"human_reviewed": True}}
    conversation = {"conversation_metadata": {
        "conversation_id": "c-1", "total_turns": total_turns,
        "scaffolding": {"persona_key": "saver"}}, "training_pairs": [pair]}
    metadata = {"total_conversations": 1, "total_training_pairs": 1,
                "quality_summary": {"human_reviewed_count": reviewed},
                "scaffolding_distribution": {"personas": personas}}
    return json.dumps({"training_file_metadata": metadata, "conversations": [conversation]}).encode()


def test_aggregated_counts_that_hold_are_no_mismatch() -> None:
    assert mismatches(aggregated(1, 1, {"saver": 1})) == []


def test_aggregated_turns_reviews_and_distribution_claims_are_checked() -> None:
    found = {c.field: (c.claimed, c.actual)
             for c in mismatches(aggregated(3, 5, {"saver": 2, "spender": 4}))}
    assert found == {
        "conversation_metadata.total_turns of conversation 1": (3, 1),
        "training_file_metadata.quality_summary.human_reviewed_count": (5, 1),
        "training_file_metadata.scaffolding_distribution.personas.saver": (2, 1),
        "training_file_metadata.scaffolding_distribution.personas.spender": (4, 0),
    }


def test_enriched_file_total_turns_is_checked() -> None:
    document = {"dataset_metadata": {"total_conversations": 1, "total_turns": 9},
                "training_pairs": [{"current_user_input": "Hi", "target_response": "Hello"}]}
    [claim] = mismatches(json.dumps(document).encode())
    assert (claim.field, claim.claimed, claim.actual) == ("dataset_metadata.total_turns", 9, 1)


def test_file_level_and_other_mismatches_are_reported_together() -> None:
    data = json.loads(aggregated(3, 1, {"saver": 1}))
    data["training_file_metadata"]["total_conversations"] = 40
    stats = compute_stats(parse_training_file(json.dumps(data).encode(), "x.json"))
    [warning] = [w for w in check_eligibility(stats).warnings if w.code == "claimed_counts_differ"]
    assert "says it has 40 conversations, but it actually contains 1 conversation" in warning.message
    assert "total_turns of conversation 1 says 3 but the file holds 1" in warning.message
