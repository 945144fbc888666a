"""Object storage: a local directory (`file:///…`) or any S3/MinIO endpoint (`s3://…`).

`s3://ACCESS:SECRET@host:port/bucket?secure=false` goes through the `minio` SDK.
`brightrun+https://grant:TOKEN@gateway/api/v1/job-storage/JOB` is one job's scoped view through
the gateway (libs.common.job_storage), for pods that must not hold the keys.
Keys are `/`-separated; writes are atomic on both (rename locally, single PUT on S3).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlparse

# Downloads stream in pieces of this size: a large adapter never sits whole in memory.
CHUNK_BYTES = 1024 * 1024


class ObjectNotFound(KeyError):
    pass


class StorageRefused(PermissionError):
    """The store said no: a job-storage grant that does not cover the key, or has expired."""


@runtime_checkable
class ObjectStore(Protocol):
    url: str

    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def size(self, key: str) -> int: ...
    def iter_range(self, key: str, start: int = 0, end: int | None = None,
                   chunk: int = CHUNK_BYTES) -> Iterator[bytes]: ...


def check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")
    return key


class LocalDirStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    def get_file(self, key: str, path: Path) -> None:
        source = self._path(key)
        if not source.exists():
            raise ObjectNotFound(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        return sorted(
            str(p.relative_to(self.root)) for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    def iter_range(self, key: str, start: int = 0, end: int | None = None,
                   chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
        """Bytes `start`..`end` inclusive (None: to the end), `chunk` at a time (HTTP Range)."""
        try:
            f = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        with f:
            f.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                data = f.read(chunk if left is None else min(chunk, left))
                if not data:
                    return
                if left is not None:
                    left -= len(data)
                yield data


class S3Store:
    def __init__(self, url: str) -> None:
        from minio import Minio

        parsed = urlparse(url)
        secure = parse_qs(parsed.query).get("secure", ["false"])[0].lower() == "true"
        self.url = url
        self.bucket = parsed.path.strip("/")
        self.client = Minio(
            f"{parsed.hostname}:{parsed.port or (443 if secure else 80)}",
            access_key=unquote(parsed.username or ""),
            secret_key=unquote(parsed.password or ""),
            secure=secure,
        )
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(self.bucket, check_key(key), io.BytesIO(data), len(data))

    def put_file(self, key: str, path: Path) -> None:
        self.client.fput_object(self.bucket, check_key(key), str(path))

    def get_bytes(self, key: str) -> bytes:
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, check_key(key))
        except S3Error as exc:
            raise ObjectNotFound(key) from exc
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def get_file(self, key: str, path: Path) -> None:
        from minio.error import S3Error

        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # streamed to disk: an adapter or package need not fit in memory
            self.client.fget_object(self.bucket, check_key(key), str(path))
        except S3Error as exc:
            raise ObjectNotFound(key) from exc

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, check_key(key))
            return True
        except S3Error:
            return False

    def list(self, prefix: str) -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix, recursive=True))

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, check_key(key))

    def size(self, key: str) -> int:
        from minio.error import S3Error

        try:
            return self.client.stat_object(self.bucket, check_key(key)).size
        except S3Error as exc:
            raise ObjectNotFound(key) from exc

    def iter_range(self, key: str, start: int = 0, end: int | None = None,
                   chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
        """A ranged GET (offset/length), read `chunk` at a time."""
        from minio.error import S3Error

        length = 0 if end is None else end - start + 1  # minio: 0 means to the end
        try:
            response = self.client.get_object(self.bucket, check_key(key), offset=start,
                                              length=length)
        except S3Error as exc:
            raise ObjectNotFound(key) from exc
        try:
            yield from response.stream(chunk)
        finally:
            response.close()
            response.release_conn()


def open_store(url: str) -> ObjectStore:
    scheme = urlparse(url).scheme
    if scheme == "file":
        return LocalDirStore(Path(unquote(urlparse(url).path)))
    if scheme == "s3":
        return S3Store(url)
    if scheme in ("brightrun+http", "brightrun+https"):
        from libs.common.job_storage import GatewayStore  # pods only: the job's own grant

        return GatewayStore(url)
    raise ValueError(f"unsupported storage URL {url!r}: use file:///dir, "
                     "s3://key:secret@host/bucket or a job's brightrun+https://grant:… URL")
