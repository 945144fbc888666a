"""Packaging service (stage 6): the artifacts a finished job is delivered as.

Events on `packaging.>`; queries under `rpc.packaging.*`. Artifact kinds: the adapter bundle
(UJ6.1.1) and the deployment package (UJ6.2.1).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

import msgspec

from proto.base import Message

ArtifactKind = Literal["adapter-bundle", "deployment-package"]
ARTIFACT_KINDS: tuple[ArtifactKind, ...] = ("adapter-bundle", "deployment-package")


class ArtifactRef(msgspec.Struct, frozen=True, kw_only=True):
    kind: ArtifactKind
    key: str  # object storage key
    size_bytes: int
    sha256: str
    filename: str = ""


class ArtifactsBuilt(Message, frozen=True, kw_only=True):
    """A job's artifacts are in object storage (version grows with each rebuild)."""

    subject: ClassVar[str] = "packaging.artifacts.built.v1"
    job_id: uuid.UUID
    version: int
    artifacts: list[ArtifactRef]


class ArtifactsFailed(Message, frozen=True, kw_only=True):
    subject: ClassVar[str] = "packaging.artifacts.failed.v1"
    job_id: uuid.UUID
    version: int
    reason: str


class ArtifactDownloaded(Message, frozen=True, kw_only=True):
    """The gateway served a signed download (counted per artifact)."""

    subject: ClassVar[str] = "packaging.artifact.downloaded.v1"
    job_id: uuid.UUID
    kind: ArtifactKind
    bytes_sent: int = 0


# --- RPC -----------------------------------------------------------------------------------------


class ListArtifacts(msgspec.Struct, frozen=True, kw_only=True):
    subject: ClassVar[str] = "rpc.packaging.list_artifacts"
    job_id: uuid.UUID


class ArtifactView(msgspec.Struct, frozen=True, kw_only=True):
    kind: ArtifactKind
    status: Literal["pending", "building", "ready", "failed"]
    key: str | None = None
    filename: str = ""
    size_bytes: int | None = None
    sha256: str | None = None
    version: int = 0
    built_at: datetime | None = None
    downloads: int = 0
    message: str = ""


class ArtifactsView(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    job_status: str = ""
    artifacts: list[ArtifactView] = msgspec.field(default_factory=list)


class DownloadLink(msgspec.Struct, frozen=True, kw_only=True):
    """A signed link to a ready artifact that needs no other credential (the gateway signs it)."""

    url: str  # /api/v1/downloads/{token}
    expires_at: datetime
    kind: ArtifactKind
    filename: str
    size_bytes: int | None
    sha256: str | None


class GetDeploymentInstructions(msgspec.Struct, frozen=True, kw_only=True):
    """UJ6.2.2: the job's deployment instructions, section by section (the console's tabs)."""

    subject: ClassVar[str] = "rpc.packaging.deployment_instructions"
    job_id: uuid.UUID


class InstructionSection(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    markdown: str


class DeploymentInstructions(msgspec.Struct, frozen=True, kw_only=True):
    """GetDeploymentInstructions' answer: the package README's sections, one tab each."""

    job_id: uuid.UUID
    sections: list[InstructionSection]
