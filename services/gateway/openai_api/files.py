"""/v1/files: OpenAI's Files API over our training files (purpose `fine-tune` only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from libs.common.storage import ObjectStore
from proto.jobs import GetTrainingFile, ListTrainingFiles
from services.gateway.bus import GatewayBus
from services.gateway.openai_api import ids, shapes
from services.gateway.openai_api.errors import OpenAIError
from services.gateway.openai_api.objects import FileObject, FilePage
from services.gateway.training_files import register_upload

PURPOSE = "fine-tune"
# /v1/files pages in the gateway over this many newest files: ListTrainingFiles has no cursor.
LIST_WINDOW = 10_000


@dataclass
class FileUpload:
    file: UploadFile
    purpose: str = ""


class OpenAIFilesController(Controller):
    path = "/files"
    tags = ["openai-compatible"]

    @post("/", status_code=200)
    async def upload(
        self, data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        bus: NamedDependency[GatewayBus], store: NamedDependency[ObjectStore],
    ) -> FileObject:
        """Upload a training file (multipart `file`, `purpose` = "fine-tune"); OpenAI's File
        object. It is parsed and checked at once: a file we cannot read is refused here."""
        if data.purpose != PURPOSE:
            raise OpenAIError(400, f"purpose {data.purpose!r} is not supported here. How to fix: "
                              f"upload training files with purpose={PURPOSE!r}.",
                              param="purpose", code="unsupported_purpose")
        row = await register_upload(bus, store, data.file.filename, await data.file.read())
        return msgspec.convert(shapes.file_object(row), FileObject)

    @get("/")
    async def list_files(
        self, bus: NamedDependency[GatewayBus], after: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=LIST_WINDOW)] = LIST_WINDOW,
        order: Literal["asc", "desc"] = "desc", purpose: str | None = None,
    ) -> FilePage:
        """Files by `created_at` (`order`), a page of `limit` after the file `after`."""
        rows = [] if purpose not in (None, PURPOSE) else await bus.ask(
            ListTrainingFiles(limit=LIST_WINDOW))  # newest first
        files = [shapes.file_object(r) for r in (rows if order == "desc" else rows[::-1])]
        if after is not None:
            wanted = ids.to_openai(ids.FILE, ids.from_openai(ids.FILE, after, "after"))
            at = next((i for i, f in enumerate(files) if f["id"] == wanted), None)
            if at is None:
                raise OpenAIError(404, f"No such File object: {after!r}.", param="after",
                                  code="not_found")
            files = files[at + 1:]
        return msgspec.convert(shapes.page(files[:limit], has_more=len(files) > limit), FilePage)

    @get("/{file_id:str}")
    async def get_file(self, file_id: str, bus: NamedDependency[GatewayBus]) -> FileObject:
        uid = ids.from_openai(ids.FILE, file_id, "file_id")
        row = await bus.ask(GetTrainingFile(training_file_id=uid))
        return msgspec.convert(shapes.file_object(row), FileObject)
