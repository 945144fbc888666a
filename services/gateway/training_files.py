"""Training files: upload (multipart, up to 50 MB), list (newest first, search), detail."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body

from libs.common.storage import ObjectStore
from proto.api import ServiceError
from proto.jobs import GetTrainingFile, ListTrainingFiles, RegisterTrainingFile
from proto.training_sets import TrainingFileView
from services.gateway.bus import GatewayBus

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _safe_name(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", filename or "training-file.json")[:120]


async def register_upload(bus: GatewayBus, store: ObjectStore, filename: str, content: bytes
                          ) -> dict[str, Any]:
    """Store an uploaded file and have the jobs service analyse it (this API and /v1 both)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ServiceError("file_too_large",
                           f"The file is {len(content) / 2**20:.1f} MB; the limit is 50 MB.",
                           "Split the file into several smaller training files.",
                           {"size_bytes": len(content), "limit_bytes": MAX_UPLOAD_BYTES}, 413)
    if not content.strip():
        raise ServiceError("empty_file", "The uploaded file is empty.",
                           "Choose a brightrun-lora-v4 JSON/JSONL or OpenAI chat JSONL file.")
    filename = _safe_name(filename)
    key = f"training-files/{uuid.uuid4()}/{filename}"
    await asyncio.to_thread(store.put_bytes, key, content)
    return await bus.ask(RegisterTrainingFile(storage_key=key, filename=filename,
                                              size_bytes=len(content)))


@dataclass
class TrainingFileUpload:
    # A declared form: a multipart body without a file is then a 400 in our error shape (a bare
    # `UploadFile` body made Litestar raise StopIteration: a 500).
    file: UploadFile


class TrainingFilesController(Controller):
    path = "/training-files"
    tags = ["training files"]

    @post("/", status_code=201)
    async def upload(
        self,
        data: Annotated[TrainingFileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        bus: NamedDependency[GatewayBus],
        store: NamedDependency[ObjectStore],
    ) -> TrainingFileView:
        """Upload a training file (multipart field `file`); answers its stats and eligibility."""
        upload = data.file
        return msgspec.convert(await register_upload(bus, store, upload.filename, await upload.read()),
                               TrainingFileView)

    @get("/")
    async def list_files(self, bus: NamedDependency[GatewayBus], q: str = "", limit: int = 100
                         ) -> list[TrainingFileView]:
        """Training files, newest first; `q` searches names."""
        return await bus.ask(ListTrainingFiles(q=q, limit=min(max(limit, 1), 500)),
                             list[TrainingFileView])

    @get("/{file_id:uuid}")
    async def get_file(self, file_id: uuid.UUID,
                       bus: NamedDependency[GatewayBus]) -> TrainingFileView:
        return await bus.ask(GetTrainingFile(training_file_id=file_id), TrainingFileView)
