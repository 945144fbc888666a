"""The report's and share links' rules, without I/O: tokens, expiry, the 409, example choice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from proto.api import ServiceError
from services.packaging import shares
from services.packaging.report.summary import best_examples, check_can_generate, headline
from services.packaging.report.validation import Example, Suite, ValidationFigures, from_answer

SECRET = "server-secret"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def claims(recipient: int = shares.PUBLIC) -> shares.TokenClaims:
    return shares.TokenClaims(uuid.uuid4(), NOW + timedelta(days=30), recipient)


def test_token_round_trips_its_share_expiry_and_recipient():
    made = claims(recipient=2)
    assert shares.read_token(SECRET, shares.make_token(SECRET, made)) == made


@pytest.mark.parametrize("change", [
    # a changed signature; not its last character, whose low bits base64 may drop unread
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
    lambda t: "W" + t[1:] if t[0] != "W" else "X" + t[1:],  # a changed payload
    lambda t: t[: len(t) // 2],  # cut short
])
def test_a_changed_token_is_refused_with_403(change):
    token = shares.make_token(SECRET, claims())
    with pytest.raises(ServiceError) as refused:
        shares.read_token(SECRET, change(token))
    assert refused.value.error.status == 403


def test_a_token_signed_with_another_secret_is_refused():
    with pytest.raises(ServiceError):
        shares.read_token(SECRET, shares.make_token("someone-else", claims()))


def test_expiry_is_at_most_30_days():
    assert shares.expiry(NOW, 30) == NOW + timedelta(days=30)
    for days in (0, 31, 365):
        with pytest.raises(ServiceError) as refused:
            shares.expiry(NOW, days)
        assert refused.value.error.status == 422


def test_expired_and_revoked_links_are_gone_with_410_saying_to_ask_the_owner():
    shares.check_open(NOW + timedelta(seconds=1), None, NOW)
    for expires, revoked in ((NOW, None), (NOW + timedelta(days=1), NOW)):
        with pytest.raises(ServiceError) as gone:
            shares.check_open(expires, revoked, NOW)
        assert gone.value.error.status == 410 and "Ask the person" in gone.value.error.how_to_fix


def test_address_hash_tells_addresses_apart_without_keeping_them():
    a, b = shares.address_hash(SECRET, "203.0.113.5"), shares.address_hash(SECRET, "203.0.113.6")
    assert a != b and a == shares.address_hash(SECRET, "203.0.113.5") and "203" not in a
    assert shares.address_hash("other-secret", "203.0.113.5") != a  # salted


def test_report_before_validation_ends_is_409_unless_partial():
    running = from_answer({"status": "scoring", "suites": []})
    with pytest.raises(ServiceError) as refused:
        check_can_generate("completed", running, partial=False)
    assert refused.value.error.status == 409 and "partial=true" in refused.value.error.how_to_fix
    with pytest.raises(ServiceError):
        check_can_generate("training", ValidationFigures(), partial=False)
    check_can_generate("completed", running, partial=True)
    check_can_generate("completed", ValidationFigures(), partial=False)  # validation absent


def test_best_examples_are_the_largest_gains_and_say_how_they_were_chosen():
    examples = [Example(scenario_id=f"s{i}", user_input="q", base_answer="b", trained_answer="t",
                        base_score=2.0, trained_score=2.0 + i % 7) for i in range(20)]
    picked, basis = best_examples(ValidationFigures(examples=examples))
    assert len(picked) == 10 and [e.gain for e in picked][:3] == [6.0, 6.0, 5.0]
    assert "rose the most" in basis
    unscored = [Example(scenario_id="s", user_input="q", base_answer="b", trained_answer="t")]
    assert "not a selection by quality" in best_examples(ValidationFigures(examples=unscored))[1]


def test_a_suite_without_a_result_says_not_run():
    assert headline(Suite(name="brand_voice")) == "Brand voice: not run."
    assert headline(Suite(name="perplexity", status="completed", headline="31.4% lower")) == \
        "Perplexity: 31.4% lower"
