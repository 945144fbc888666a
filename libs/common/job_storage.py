"""The client side of the gateway's job-storage routes: an ObjectStore for a pod that holds a
storage grant (libs.common.storage_grants) instead of the platform's storage keys.

`brightrun+https://grant:TOKEN@gateway/api/v1/job-storage/JOB` (or `brightrun+http://`). The
token rides in the URL's user part, so everything that prints a storage URL already masks it.
Network errors, 5xx and 429 are tried again for about half a minute: a gateway restarting under
a long run must not fail it; a refusal (401/403) is final and says why.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from libs.common.storage import CHUNK_BYTES, ObjectNotFound, StorageRefused, check_key

GRANT_HEADER = "X-Brightrun-Storage-Grant"
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class GatewayStore:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self._token = unquote(parts.password or "")
        netloc = parts.hostname or ""
        netloc = f"[{netloc}]" if ":" in netloc else netloc
        if parts.port:
            netloc += f":{parts.port}"
        self._base = urlunsplit((parts.scheme.removeprefix("brightrun+"), netloc,
                                 parts.path.rstrip("/"), "", ""))
        self._client = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0),
                                    headers={GRANT_HEADER: self._token})

    def _object_url(self, key: str, kind: str = "objects") -> str:
        return f"{self._base}/{kind}/{quote(check_key(key), safe='/')}"

    def _send(self, method: str, url: str, *, key: str, body_path: Path | None = None,
              **kwargs: object) -> httpx.Response:
        for delay in (*RETRY_DELAYS_S, None):
            try:
                if body_path is None:
                    response = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
                else:
                    with body_path.open("rb") as body:  # streamed: a checkpoint need not fit
                        response = self._client.request(method, url, content=body, headers={
                            "Content-Length": str(body_path.stat().st_size)})
            except httpx.TransportError:
                if delay is None:
                    raise
                time.sleep(delay)
                continue
            if delay is None or not _transient_status(response.status_code):
                return _checked(response, key)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def put_bytes(self, key: str, data: bytes) -> None:
        self._send("PUT", self._object_url(key), key=key, content=data)

    def put_file(self, key: str, path: Path) -> None:
        self._send("PUT", self._object_url(key), key=key, body_path=path)

    def get_bytes(self, key: str) -> bytes:
        return self._send("GET", self._object_url(key), key=key).content

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for delay in (*RETRY_DELAYS_S, None):
            try:
                with path.open("wb") as out:  # whole again on a retry: no half-written file
                    for chunk in self.iter_range(key):
                        out.write(chunk)
                return
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if delay is None or not _transient(exc):
                    raise
                time.sleep(delay)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str) -> list[str]:
        response = self._send("GET", f"{self._base}/objects", key=prefix,
                              params={"prefix": prefix})
        return sorted(response.json()["keys"])

    def delete(self, key: str) -> None:
        self._send("DELETE", self._object_url(key), key=key)

    def size(self, key: str) -> int:
        return int(self._send("GET", self._object_url(key, "sizes"), key=key).json()["size"])

    def iter_range(self, key: str, start: int = 0, end: int | None = None,
                   chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
        headers = {"Range": f"bytes={start}-{'' if end is None else end}"} if start or end else {}
        with self._client.stream("GET", self._object_url(key), headers=headers) as response:
            _checked(response, key)
            yield from response.iter_bytes(chunk)

    def close(self) -> None:
        self._client.close()


def _transient_status(status: int) -> bool:
    return status >= 500 or status == 429


def _transient(exc: Exception) -> bool:
    return not isinstance(exc, httpx.HTTPStatusError) or _transient_status(
        exc.response.status_code)


def _checked(response: httpx.Response, key: str) -> httpx.Response:
    if response.status_code == 404:
        raise ObjectNotFound(key)
    if response.status_code in (401, 403):
        if not response.is_closed:
            response.read()
        raise StorageRefused(f"job storage refused {key!r}: {_message(response)}")
    response.raise_for_status()
    return response


def _message(response: httpx.Response) -> str:
    """The gateway's error shape: {"error": {"message", "how_to_fix", ...}}."""
    try:
        error = response.json()["error"]
        return f"{error['message']} {error['how_to_fix']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
