"""The OpenAI-compatible fine-tuning API at /v1: OpenAI's Files and fine-tuning jobs endpoints,
object shapes, status names and error body, translated onto our training files and jobs."""

from __future__ import annotations

from litestar import Router

from services.gateway.openai_api.auth import check_api_key
from services.gateway.openai_api.errors import EXCEPTION_HANDLERS
from services.gateway.openai_api.files import OpenAIFilesController
from services.gateway.openai_api.fine_tuning import FineTuningJobsController
from services.gateway.openai_api.models import ModelsController
from services.gateway.openai_api.progress import FineTuningProgressController


def openai_router() -> Router:
    """Its own exception handlers (OpenAI's error shape) and guard (bearer tokens)."""
    return Router(path="/v1", route_handlers=[OpenAIFilesController, FineTuningJobsController,
                                              FineTuningProgressController, ModelsController],
                  exception_handlers=EXCEPTION_HANDLERS, guards=[check_api_key])
