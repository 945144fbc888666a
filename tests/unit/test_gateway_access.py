"""The gateway's door (issue 15): when keys are required, what each role may do, the upload
bucket, and where a key is read from. No I/O."""

from __future__ import annotations

import pytest

from libs.common.settings import Settings
from services.gateway.access import TokenBucket, keys_required, presented_key, refusal


@pytest.mark.parametrize(("host", "forced", "required"), [
    ("127.0.0.1", False, False), ("localhost", False, False), ("::1", False, False),
    ("[::1]", False, False), ("127.0.0.2", False, False),
    ("0.0.0.0", False, True), ("::", False, True), ("192.168.1.20", False, True),
    ("gateway.example.com", False, True),  # a name may resolve beyond loopback
    ("127.0.0.1", True, True),  # BRIGHTRUN_REQUIRE_API_KEYS=1
])
def test_keys_are_required_beyond_loopback_or_when_forced(host, forced, required):
    assert keys_required(Settings(gateway_host=host, require_api_keys=forced)) is required


def test_the_setting_is_read_from_the_environment():
    settings = Settings.from_env({"BRIGHTRUN_REQUIRE_API_KEYS": "1"})
    assert settings.require_api_keys and keys_required(settings)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_every_role_reads(method):
    for role in ("admin", "member", "viewer"):
        assert refusal(role, method, "/api/v1/jobs") is None
        assert refusal(role, method, "/api/v1/budget") is None


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/jobs"), ("PUT", "/api/v1/notification-preferences"),
    ("DELETE", "/api/v1/templates/1"), ("PATCH", "/api/v1/jobs/1"), ("POST", "/v1/files")])
def test_a_viewer_writes_nothing(method, path):
    denied = refusal("viewer", method, path)
    assert denied is not None and denied.status == 403 and denied.code == "read_only_api_key"
    assert denied.how_to_fix
    assert refusal("member", method, path) is None and refusal("admin", method, path) is None


def test_only_an_admin_changes_the_budget():
    for path in ("/api/v1/budget", "/api/v1/budget/"):
        denied = refusal("member", "PUT", path)
        assert denied is not None and denied.status == 403
        assert denied.code == "admin_api_key_required"
        assert refusal("admin", "PUT", path) is None
    assert refusal("viewer", "PUT", "/api/v1/budget").status == 403


def test_the_bucket_allows_a_minutes_burst_then_refills_at_the_rate():
    bucket = TokenBucket(per_minute=3)
    assert [bucket.take("k", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take("k", 100.0)
    assert wait == pytest.approx(20.0)  # one token every 60/3 s
    assert bucket.take("other", 100.0) == 0.0  # per key
    assert bucket.take("k", 110.0) == pytest.approx(10.0)  # half a token back
    assert bucket.take("k", 120.5) == 0.0
    assert bucket.take("k", 121.0) > 0


def test_the_bucket_never_holds_more_than_a_minute():
    bucket = TokenBucket(per_minute=2)
    bucket.take("k", 0.0)
    admitted = [bucket.take("k", 10_000.0) == 0.0 for _ in range(4)]
    assert admitted == [True, True, False, False]


def test_a_key_is_read_from_bearer_x_api_key_or_the_query():
    assert presented_key({"authorization": "Bearer brk_a"}, {}) == "brk_a"
    assert presented_key({"authorization": "bearer  brk_a "}, {}) == "brk_a"
    assert presented_key({"x-api-key": "brk_b"}, {}) == "brk_b"
    assert presented_key({}, {"api_key": "brk_c"}) == "brk_c"
    assert presented_key({"authorization": "Basic dXNlcg=="}, {}) is None
    assert presented_key({}, {}) is None
