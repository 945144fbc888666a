"""What the fuzzer found at the door: requests no service could store are refused in the error
shape, never answered with a 500 (tests/e2e/test_api_fuzz.py runs the fuzzer itself)."""

from __future__ import annotations

import asyncio

import pytest
from support import running_gateway

from services.validation.app import build

TEN = [{"name": f"trait {i}"} for i in range(10)]


@pytest.fixture
async def client(settings):
    async with running_gateway(settings) as test_client:
        yield test_client


def error_of(response) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    return response.json()["error"]


async def test_text_with_a_nul_character_is_refused_before_any_service_sees_it(
        start_service, client):
    await start_service(build)
    rubric = {"name": "Warm\u0000", "characteristics": TEN}
    refused = await asyncio.to_thread(client.post, "/api/v1/validation/rubrics", json=rubric)
    assert refused.status_code == 422 and error_of(refused)["code"] == "text_contains_nul"
    assert "\\u0000" in error_of(refused)["how_to_fix"]
    query = await asyncio.to_thread(
        client.get, "/api/v1/jobs/6bcf2d38-2361-3842-8070-04dde7480c6c/validation/review/next",
        params={"reviewer": "ann\u0000"})
    assert error_of(query)["details"] == {"where": "query"}
    # The same rubric without the NUL is stored: the refusal is the NUL's alone.
    stored = await asyncio.to_thread(client.post, "/api/v1/validation/rubrics",
                                     json={**rubric, "name": "Warm"})
    assert stored.status_code in (200, 201), stored.text


async def test_a_multipart_upload_without_a_file_is_a_client_error(client):
    response = await asyncio.to_thread(client.post, "/api/v1/training-files",
                                       files={"note": (None, "no file here")})
    assert error_of(response)["message"]
