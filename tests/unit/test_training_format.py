"""Parsing training files in all four formats, defects of real files included."""

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common.training_format import (
    TrainingFile,
    TrainingFormatError,
    iter_examples,
    parse_training_file,
)

CONVERSATION_ID = "8f14e45f-ceea-467f-a0e6-1c0e7e6b3a01"
SCAFFOLDING = {
    "persona_key": "anxious_planner",
    "persona_name": "Marcus Chen",
    "emotional_arc_key": "fear_to_confidence",
    "emotional_arc": "Fear to confidence",
    "training_topic_key": "retirement_gap",
    "training_topic": "Retirement savings gap",
}


# --- builders: the smallest files that look like the generator's --------------------------------


def pair(
    pair_id: str = "retirement_gap_turn1",
    turn: int = 1,
    target: str | None = "Let's look at your numbers together.",
    user_input: str | None = "I'm scared I started saving too late.",
    **overrides: Any,
) -> dict[str, Any]:
    raw = {
        "id": pair_id,
        "conversation_id": CONVERSATION_ID,
        "turn_number": turn,
        "conversation_metadata": {
            "persona_archetype": "anxious_planner",
            "emotional_arc_key": "fear_to_confidence",
            "training_topic_key": "retirement_gap",
        },
        "system_prompt": "You are a calm, warm financial planner.",
        "conversation_history": [
            {"turn": 1, "role": "user", "content": "Hi.", "emotional_state": {}},
            {"turn": 1, "role": "assistant", "content": "Hello, Marcus."},
        ],
        "current_user_input": user_input,
        "target_response": target,
        "training_metadata": {
            "quality_score": 4.5,
            "quality_criteria": {
                "empathy_score": 5,
                "clarity_score": 4,
                "appropriateness_score": 4.5,
                "brand_voice_alignment": 4,
            },
            "human_reviewed": True,
        },
    }
    return {**raw, **overrides}


def conversation(pairs: list[dict[str, Any]], scaffolding: dict | None = None) -> dict[str, Any]:
    return {
        "conversation_metadata": {
            "conversation_id": CONVERSATION_ID,
            "quality_tier": "production",
            "scaffolding": SCAFFOLDING if scaffolding is None else scaffolding,
        },
        "training_pairs": pairs,
    }


def aggregated(conversations: list[dict[str, Any]], **metadata: Any) -> dict[str, Any]:
    return {
        "training_file_metadata": {
            "file_name": "seed.json",
            "format_spec": "brightrun-lora-v4",
            "total_conversations": len(conversations),
            "total_training_pairs": sum(len(c["training_pairs"]) for c in conversations),
            "scaffolding_distribution": {"personas": {"anxious_planner": 12}},
            **metadata,
        },
        "consultant_profile": {"name": "Elena Morales", "business": "Morales Planning"},
        "conversations": conversations,
    }


def enriched(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "dataset_metadata": {"dataset_name": "marcus", "quality_tier": "experimental",
                             "total_conversations": 1, "total_turns": 4},
        "consultant_profile": {"name": "Elena Morales"},
        "training_pairs": pairs,
        "input_parameters": {
            "persona_id": 7, "persona_key": "anxious_planner", "persona_name": "Marcus Chen",
            "emotional_arc_key": "fear_to_confidence", "emotional_arc_name": "Fear to confidence",
            "training_topic_key": "retirement_gap", "training_topic_name": "Retirement gap",
        },
    }


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode() + b"\n"


def brightrun_jsonl(pairs: list[dict[str, Any]]) -> bytes:
    meta = {"_meta": {"file_name": "seed.jsonl", "version": "brightrun-lora-v4"}}
    return jsonl([meta, *pairs])


def openai_chat(*replies: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a planner."}]
    for n, reply in enumerate(replies, 1):
        messages += [{"role": "user", "content": f"question {n}"},
                     {"role": "assistant", "content": reply}]
    return {"messages": messages}


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode()


def parse(document: dict[str, Any], filename: str = "seed.json") -> TrainingFile:
    return parse_training_file(encode(document), filename)


def format_error(data: bytes, filename: str = "seed.json") -> TrainingFormatError:
    with pytest.raises(TrainingFormatError) as caught:
        parse_training_file(data, filename)
    return caught.value


# --- the four formats ----------------------------------------------------------------------------


def test_aggregated_file_parses_every_conversation_and_pair() -> None:
    tf = parse(aggregated([conversation([pair(), pair("t2", 2)]), conversation([pair()])]))
    assert tf.format == "brightrun-aggregated"
    assert [len(c.pairs) for c in tf.conversations] == [2, 1]


def test_aggregated_file_keeps_metadata_and_consultant_profile_as_found() -> None:
    tf = parse(aggregated([conversation([pair()])]))
    assert tf.metadata["scaffolding_distribution"] == {"personas": {"anxious_planner": 12}}
    assert tf.consultant_profile == {"name": "Elena Morales", "business": "Morales Planning"}


def test_aggregated_conversation_reads_scaffolding_and_quality_tier() -> None:
    conv = parse(aggregated([conversation([pair()])])).conversations[0]
    assert conv.conversation_id == CONVERSATION_ID
    assert conv.quality_tier == "production"
    assert conv.scaffolding.persona_name == "Marcus Chen"
    assert conv.enriched


def test_pair_carries_prompt_history_input_target_scores_and_review() -> None:
    p = parse(aggregated([conversation([pair()])])).conversations[0].pairs[0]
    assert (p.id, p.turn_number, p.conversation_id) == ("retirement_gap_turn1", 1, CONVERSATION_ID)
    assert p.system_prompt.startswith("You are a calm")
    assert [(t.role, t.content) for t in p.history] == [("user", "Hi."),
                                                        ("assistant", "Hello, Marcus.")]
    assert p.target_response == "Let's look at your numbers together."
    assert (p.quality_score, p.empathy_score, p.clarity_score) == (4.5, 5.0, 4.0)
    assert (p.appropriateness_score, p.brand_voice_alignment) == (4.5, 4.0)
    assert p.human_reviewed is True


def test_conversation_without_any_scaffolding_is_not_enriched() -> None:
    bare = pair(conversation_metadata={})
    conv = parse(aggregated([conversation([bare], scaffolding={})])).conversations[0]
    assert conv.scaffolding is None
    assert not conv.enriched


def test_enriched_conversation_file_is_one_conversation_scaffolded_from_input_parameters() -> None:
    tf = parse(enriched([pair(), pair("t2", 2)]))
    assert tf.format == "brightrun-conversation"
    assert tf.metadata["dataset_name"] == "marcus"
    [conv] = tf.conversations
    assert (conv.conversation_id, conv.quality_tier, len(conv.pairs)) == (
        CONVERSATION_ID, "experimental", 2)
    assert conv.scaffolding.training_topic == "Retirement gap"


def test_brightrun_jsonl_keeps_meta_and_groups_pairs_by_conversation() -> None:
    other = pair("other_turn1", conversation_id="c2")
    tf = parse_training_file(brightrun_jsonl([pair(), other, pair("t2", 2)]), "seed.jsonl")
    assert tf.format == "brightrun-jsonl"
    assert tf.metadata == {"file_name": "seed.jsonl", "version": "brightrun-lora-v4"}
    assert [(c.conversation_id, len(c.pairs)) for c in tf.conversations] == [
        (CONVERSATION_ID, 2), ("c2", 1)]


def test_brightrun_jsonl_conversation_is_enriched_from_its_pairs_metadata() -> None:
    tf = parse_training_file(brightrun_jsonl([pair()]), "seed.jsonl")
    assert tf.conversations[0].scaffolding.persona_key == "anxious_planner"
    assert tf.conversations[0].enriched


def test_openai_chat_makes_every_assistant_message_a_target() -> None:
    tf = parse_training_file(jsonl([openai_chat("a1", "a2"), openai_chat("b1")]), "chat.jsonl")
    assert tf.format == "openai-chat"
    assert [[p.target_response for p in c.pairs] for c in tf.conversations] == [["a1", "a2"],
                                                                                ["b1"]]


def test_openai_chat_target_has_system_prompt_history_and_current_input_before_it() -> None:
    tf = parse_training_file(jsonl([openai_chat("a1", "a2")]), "chat.jsonl")
    second = tf.conversations[0].pairs[1]
    assert second.system_prompt == "You are a planner."
    assert [(t.role, t.content) for t in second.history] == [("user", "question 1"),
                                                             ("assistant", "a1")]
    assert second.current_user_input == "question 2"


def test_openai_assistant_message_with_weight_zero_is_context_only() -> None:
    chat = openai_chat("a1", "a2")
    chat["messages"][2]["weight"] = 0
    tf = parse_training_file(jsonl([chat]), "chat.jsonl")
    assert [p.target_response for p in tf.conversations[0].pairs] == [None, "a2"]


def test_one_line_openai_chat_file_is_recognised() -> None:
    tf = parse_training_file(json.dumps(openai_chat("a1")).encode(), "chat.jsonl")
    assert tf.format == "openai-chat"


def test_format_is_detected_by_content_not_extension() -> None:
    assert parse_training_file(brightrun_jsonl([pair()]), "seed.json").format == "brightrun-jsonl"
    assert parse(aggregated([]), "seed.jsonl").format == "brightrun-aggregated"


def test_byte_order_mark_is_ignored() -> None:
    tf = parse_training_file(b"\xef\xbb\xbf" + encode(aggregated([])), "seed.json")
    assert tf.conversations == []


# --- what real files contain ----------------------------------------------------------------------


def test_null_targets_are_kept_as_unusable_pairs() -> None:
    tf = parse(aggregated([conversation([pair(target=None), pair("t2", 2)])]))
    pairs = tf.conversations[0].pairs
    assert [p.target_response for p in pairs] == [None, "Let's look at your numbers together."]
    assert [p.usable for p in pairs] == [False, True]


def test_blank_current_user_input_makes_pair_unusable() -> None:
    p = parse(aggregated([conversation([pair(user_input="  ")])])).conversations[0].pairs[0]
    assert not p.usable


def test_iter_examples_yields_only_usable_pairs() -> None:
    pairs = [pair("a", target=None), pair("b"), pair("c", target=""), pair("d", user_input=None)]
    tf = parse(aggregated([conversation(pairs)]))
    assert [p.id for p in iter_examples(tf)] == ["b"]


def test_claimed_counts_that_differ_from_content_are_kept_as_found() -> None:
    tf = parse(aggregated([conversation([pair()])], total_conversations=242,
                          total_training_pairs=1567))
    assert (tf.metadata["total_conversations"], len(tf.conversations)) == (242, 1)


def test_parsed_file_is_immutable() -> None:
    tf = parse(aggregated([]))
    with pytest.raises(AttributeError):
        tf.format = "openai-chat"  # type: ignore[misc]


# --- errors the user sees -------------------------------------------------------------------------


def stray_backslash_file() -> tuple[bytes, int, str]:
    """The real defect: a backslash after a number inside scaffolding_distribution."""
    text = encode(aggregated([conversation([pair()])])).decode()
    text = text.replace('"anxious_planner": 12', '"anxious_planner": 12\\', 1)
    line_number = text[: text.index("12\\")].count("\n") + 1
    return text.encode(), line_number, text.split("\n")[line_number - 1]


def test_stray_backslash_reports_line_column_and_caret_snippet() -> None:
    data, line_number, line = stray_backslash_file()
    error = format_error(data)
    column = line.index("\\") + 1
    assert error.code == "invalid_json"
    assert (error.details["line"], error.details["column"]) == (line_number, column)
    assert error.details["snippet"] == f"{line}\n{' ' * (column - 1)}^"


def test_invalid_json_message_names_the_place_and_says_how_to_fix() -> None:
    data, line_number, _ = stray_backslash_file()
    error = format_error(data)
    assert f"line {line_number}, column" in error.message
    assert 'found "\\"' in error.message
    assert "text editor" in error.how_to_fix


def test_snippet_of_a_long_line_is_trimmed_around_the_column() -> None:
    data = b'{"conversations": [], "notes": "' + b"x" * 500 + b'" oops}'
    snippet = format_error(data).details["snippet"]
    shown, caret = snippet.split("\n")
    assert len(shown) <= 122
    assert shown[len(caret) - 1] == "o"


def test_missing_target_response_names_the_pair_and_the_field() -> None:
    broken = pair("retirement_gap_turn3", 3)
    del broken["target_response"]
    error = format_error(encode(aggregated([conversation([pair(), broken])])))
    assert error.code == "missing_field"
    assert error.details["field"] == "target_response"
    assert error.details["pair_id"] == "retirement_gap_turn3"
    assert '"retirement_gap_turn3" in conversation 1' in error.message


def test_missing_current_user_input_without_pair_id_names_the_pair_number() -> None:
    broken = pair()
    del broken["current_user_input"], broken["id"]
    error = format_error(encode(aggregated([conversation([pair(), broken])])))
    assert (error.code, error.details["field"]) == ("missing_field", "current_user_input")
    assert error.details["pair_number"] == 2
    assert "Pair 2 in conversation 1" in error.message


def test_jsonl_with_a_bad_line_reports_that_line() -> None:
    data = brightrun_jsonl([pair(), pair("t2", 2)]).replace(b'"turn_number": 2', b'"turn_number": 2,,')
    error = format_error(data, "seed.jsonl")
    assert (error.code, error.details["line"]) == ("invalid_json", 3)
    assert "seed.jsonl is not valid JSON at line 3, column" in error.message


def test_jsonl_pair_missing_target_response_reports_its_line() -> None:
    broken = pair()
    del broken["target_response"]
    error = format_error(brightrun_jsonl([pair(), broken]), "seed.jsonl")
    assert (error.code, error.details["line"]) == ("missing_field", 3)


def test_empty_file_is_reported_as_empty() -> None:
    assert format_error(b"").code == "empty_file"
    assert format_error(b" \n\t\n").code == "empty_file"


def test_json_object_of_another_kind_is_an_unknown_format() -> None:
    error = format_error(b'{"name": "my notes", "items": []}')
    assert error.code == "unknown_format"
    assert error.details["found_keys"] == ["items", "name"]


def test_json_list_is_an_unknown_format() -> None:
    assert format_error(b"[1, 2, 3]").code == "unknown_format"


def test_jsonl_of_unrecognised_rows_is_an_unknown_format() -> None:
    assert format_error(b'{"a": 1}\n{"b": 2}\n', "x.jsonl").code == "unknown_format"


def test_pair_that_is_not_an_object_is_a_wrong_type() -> None:
    error = format_error(encode(aggregated([conversation([pair(), "oops"])])))
    assert (error.code, error.details["pair_number"]) == ("wrong_type", 2)


def test_target_response_that_is_not_text_is_a_wrong_type() -> None:
    error = format_error(encode(aggregated([conversation([pair(target=42)])])))
    assert (error.code, error.details["field"]) == ("wrong_type", "target_response")


def test_bytes_that_are_not_utf8_are_reported_with_their_position() -> None:
    error = format_error(b'{"conversations": [],\n "x": "caf\xe9"}')
    assert (error.code, error.details["line"], error.details["column"]) == (
        "invalid_encoding", 2, 11)


def test_nan_which_json_does_not_allow_is_invalid_json_with_a_position() -> None:
    error = format_error(b'{"conversations": [],\n "score": NaN}')
    assert (error.code, error.details["line"]) == ("invalid_json", 2)


# --- robustness: nothing but TrainingFormatError, whatever arrives --------------------------------

_KEYS = ["training_file_metadata", "conversations", "training_pairs", "dataset_metadata",
         "conversation_metadata", "scaffolding", "current_user_input", "target_response",
         "conversation_history", "training_metadata", "quality_criteria", "_meta", "messages",
         "role", "content", "id", "weight"]
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    max_leaves=30,
)


def _parse_or_format_error(data: bytes) -> None:
    try:
        assert isinstance(parse_training_file(data, "upload.json"), TrainingFile)
    except TrainingFormatError as error:
        assert error.code and error.message and error.how_to_fix


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_training_format_error(data: bytes) -> None:
    _parse_or_format_error(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(_json_values, min_size=1, max_size=3))
def test_arbitrary_json_shaped_like_training_files_raises_only_training_format_error(
    documents: list[Any],
) -> None:
    _parse_or_format_error(b"\n".join(msgspec.json.encode(d) for d in documents))
