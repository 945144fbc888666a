"""API keys at the gateway's door (issue 15, "Doors"), against the real jobs service: a gateway
with BRIGHTRUN_REQUIRE_API_KEYS=1 refuses what has no key, what a role may not do, a revoked key
(once its cache window has passed) and the upload past a key's bucket."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import pytest
from litestar.exceptions import WebSocketDisconnect
from support import eventually, running_gateway

from libs.common.signing import derive_job_secret, sign
from proto.access import CreateApiKey, ListApiKeys, RevokeApiKey, VerifyApiKey
from proto.base import encode
from proto.training import StageChanged
from services.jobs.app import build as build_jobs


@pytest.fixture
async def jobs(start_service):
    await start_service(build_jobs)


@pytest.fixture
async def client(settings, jobs):
    guarded = msgspec.structs.replace(settings, require_api_keys=True, api_key_cache_s=0.5,
                                      uploads_per_minute=2, rpc_timeout_s=3.0)
    async with running_gateway(guarded) as test_client:
        yield test_client


async def key(bus, role: str) -> str:
    return (await bus.ask(CreateApiKey(role=role, name=f"test {role}")))["key"]


async def call(client, method: str, path: str, key: str | None = None, **kwargs):
    headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {key}"} if key else {})}
    return await asyncio.to_thread(getattr(client, method), path, headers=headers, **kwargs)


def refused(response, status: int, code: str) -> bool:
    error = response.json()["error"]
    return response.status_code == status and error["code"] == code and bool(error["how_to_fix"])


async def test_no_key_or_a_made_up_one_is_401_in_the_error_shape(client, bus):
    missing = await call(client, "get", "/api/v1/jobs")
    assert refused(missing, 401, "api_key_required")
    assert missing.headers["www-authenticate"] == "Bearer"
    made_up = await call(client, "get", "/api/v1/jobs", "brk_" + "A" * 43)
    assert refused(made_up, 401, "invalid_api_key")
    assert refused(await call(client, "get", "/api/v1/jobs", "not-even-our-shape"), 401,
                   "invalid_api_key")
    # /v1 answers in OpenAI's shape, how_to_fix inside the message.
    openai = await call(client, "get", "/v1/fine_tuning/jobs")
    assert openai.status_code == 401
    assert openai.json()["error"]["type"] == "authentication_error"
    assert "How to fix" in openai.json()["error"]["message"]


async def test_a_viewer_reads_and_writes_nothing(client, bus):
    viewer = await key(bus, "viewer")
    assert (await call(client, "get", "/api/v1/jobs", viewer)).status_code == 200
    assert (await call(client, "get", "/api/v1/jobs", headers={"X-API-Key": viewer})).status_code == 200
    assert (await call(client, "get", "/v1/fine_tuning/jobs", viewer)).status_code == 200
    post = await call(client, "post", "/api/v1/training-sets", viewer, json={"name": "x"})
    assert refused(post, 403, "read_only_api_key")
    assert refused(await call(client, "put", "/api/v1/notification-preferences", viewer,
                              json={"channels": ["in_app"]}), 403, "read_only_api_key")


async def test_a_member_cannot_change_the_budget_an_admin_passes_the_door(client, bus):
    member, admin = await key(bus, "member"), await key(bus, "admin")
    body = {"monthly_limit_cents": -1}  # invalid on purpose: no cost service needed to see the door
    assert refused(await call(client, "put", "/api/v1/budget", member, json=body), 403,
                   "admin_api_key_required")
    # Past the door, the body's own check answers: the admin was let through.
    assert refused(await call(client, "put", "/api/v1/budget", admin, json=body), 400,
                   "invalid_request")
    # A member writes elsewhere: the jobs service answers (a set of unknown files is its 4xx).
    made = await call(client, "post", "/api/v1/training-sets", member,
                      json={"name": "s", "training_file_ids": [str(uuid.uuid4())]})
    assert made.status_code in (400, 404, 422) and made.json()["error"]["code"] not in (
        "read_only_api_key", "api_key_required", "invalid_api_key")


async def test_a_revoked_key_is_refused_once_the_cache_window_passes(client, bus):
    created = await bus.ask(CreateApiKey(role="member", name="to revoke"))
    assert (await call(client, "get", "/api/v1/jobs", created["key"])).status_code == 200
    revoked = await bus.ask(RevokeApiKey(key_id=created["api_key"]["id"]))
    assert revoked["revoked_at"] is not None

    async def refused_now():
        return (await call(client, "get", "/api/v1/jobs", created["key"])).status_code == 401

    await eventually(refused_now, timeout_s=10)
    assert (await bus.ask_error(VerifyApiKey(key=created["key"]))).error.status == 401
    listed = {k["id"]: k for k in await bus.ask(ListApiKeys())}
    assert listed[created["api_key"]["id"]]["revoked_at"] is not None
    assert created["key"] not in str(listed)  # a listing never shows a secret
    active = await bus.ask(ListApiKeys(include_revoked=False))
    assert created["api_key"]["id"] not in {k["id"] for k in active}


async def test_websockets_need_a_key_too(client, bus):
    def connect(path: str) -> int | None:
        try:
            with client.websocket_connect(path):
                return None
        except WebSocketDisconnect as exc:
            return exc.code

    assert await asyncio.to_thread(connect, "/api/v1/live") == 4401
    assert await asyncio.to_thread(connect, "/api/v1/notifications/live") == 4401
    viewer = await key(bus, "viewer")
    assert await asyncio.to_thread(connect, f"/api/v1/live?api_key={viewer}") is None


async def test_webhooks_share_pages_health_and_console_need_no_key(client, settings):
    event = StageChanged(job_id=uuid.uuid4(), stage="preprocessing")
    body = encode(event)
    signed = sign(derive_job_secret(settings.webhook_secret, event.job_id), body)
    hook = await call(client, "post", f"/api/v1/webhooks/trainer/{event.job_id}", content=body,
                      headers=signed)
    assert hook.status_code == 202, hook.text
    # A forged webhook is still refused by its own signature check, not by the key.
    forged = await call(client, "post", f"/api/v1/webhooks/trainer/{event.job_id}", content=body)
    assert forged.status_code == 401 and forged.json()["error"]["code"] != "api_key_required"
    for path in ("/healthz", "/", "/api/v1/schema/openapi.json"):
        assert (await call(client, "get", path)).status_code == 200, path
    # Its own token decides (no packaging service here: it cannot answer), never the API key.
    share = await call(client, "get", "/share/some-token/")
    assert share.status_code != 401 and share.headers["content-type"].startswith("text/html")
    download = await call(client, "get", "/api/v1/downloads/not-a-token")
    assert download.status_code != 401 or download.json()["error"]["code"] != "api_key_required"


async def test_uploads_past_the_keys_bucket_are_429_with_retry_after(client, bus):
    member, other = await key(bus, "member"), await key(bus, "member")
    files = {"file": ("f.json", b"[]", "application/json")}
    first = [await call(client, "post", "/api/v1/training-files", member, files=files)
             for _ in range(2)]
    assert all(r.status_code != 429 for r in first)  # the bucket holds 2 (a bad file is still one)
    limited = await call(client, "post", "/api/v1/training-files", member, files=files)
    assert refused(limited, 429, "upload_rate_limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["details"]["retry_after_s"] == int(limited.headers["retry-after"])
    # /v1/files draws on the same key's bucket, refused in OpenAI's shape.
    openai = await call(client, "post", "/v1/files", member, files=files, data={"purpose": "fine-tune"})
    assert openai.status_code == 429 and openai.json()["error"]["type"] == "rate_limit_error"
    assert "retry-after" in openai.headers
    # Reads are not limited, and another key has its own bucket.
    assert (await call(client, "get", "/api/v1/training-files", member)).status_code == 200
    assert (await call(client, "post", "/api/v1/training-files", other, files=files)).status_code != 429


async def test_the_openapi_document_declares_the_door_and_each_scheme_it_names_opens_it(
        client, bus):
    document = (await call(client, "get", "/api/v1/schema/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert document["security"] == [{name: []} for name in schemes] and len(schemes) == 2
    viewer = await key(bus, "viewer")
    for name, scheme in schemes.items():  # a client builds its header from the document alone
        header = ({"Authorization": f"Bearer {viewer}"} if scheme["type"] == "http"
                  else {scheme["name"]: viewer})
        assert scheme["in" if scheme["type"] == "apiKey" else "scheme"] in ("header", "bearer")
        answer = await call(client, "get", "/api/v1/jobs", headers=header)
        assert answer.status_code == 200, (name, answer.text)
    # Only the routes with tokens of their own say that no API key is needed.
    keyless = sorted(f"{method} {path}" for path, item in document["paths"].items()
                     for method, operation in item.items()
                     if isinstance(operation, dict) and operation.get("security") == [{}])
    storage = "/api/v1/job-storage/{job_id}"  # a job's storage grant (issue 16)
    assert keyless == sorted([
        "get /api/v1/downloads/{token}", "post /api/v1/webhooks/trainer/{job_id}",
        f"get {storage}/objects", f"get {storage}/objects/{{key}}",
        f"put {storage}/objects/{{key}}", f"delete {storage}/objects/{{key}}",
        f"get {storage}/sizes/{{key}}"])
    assert all("security" not in operation or operation["security"] == [{}]
               for item in document["paths"].values() for operation in item.values()
               if isinstance(operation, dict))
