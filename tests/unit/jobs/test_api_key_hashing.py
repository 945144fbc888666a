"""API keys (issue 15): the key's shape, its keyed hash, and what is stored of it."""

from __future__ import annotations

import hashlib
import hmac

from proto.access import CreateApiKey
from services.jobs.api_keys import key_hash, key_row, new_key, well_formed


def test_a_new_key_is_32_random_bytes_behind_a_recognisable_prefix():
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("brk_") and len(key) == 4 + 43 and well_formed(key)


def test_the_hash_is_hmac_sha256_keyed_by_the_operators_secret():
    key = new_key()
    expected = hmac.new(b"s3cret", key.encode(), hashlib.sha256).hexdigest()
    assert key_hash(key, "s3cret") == expected
    # Another secret, another hash: a copy of the table alone cannot test a guessed key.
    assert key_hash(key, "other") != expected
    assert key_hash(key) != hashlib.sha256(key.encode()).hexdigest()  # keyed even by default


def test_what_is_stored_is_the_hash_and_a_short_prefix_never_the_key():
    key = new_key()
    row = key_row(CreateApiKey(role="viewer", name="  dashboards "), key, "s")
    assert key not in str(row.values())
    assert row["key_hash"] == key_hash(key, "s") and row["prefix"] == key[:12]
    assert row["name"] == "dashboards" and row["role"] == "viewer"


def test_only_our_shape_is_looked_up():
    key = new_key()
    for bad in ["", "brk_", key[:-1], key + "x", "Bearer " + key, key.replace("brk_", "sk-"),
                key[:-1] + "!"]:
        assert not well_formed(bad), bad
