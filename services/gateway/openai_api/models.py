"""/v1/models: the base models /v1 fine-tunes, in OpenAI's Model shape (tools list them to
check a name before they create a job)."""

from __future__ import annotations

from litestar import Controller, get

from services.gateway.openai_api.errors import OpenAIError
from services.gateway.openai_api.objects import Model, ModelList
from services.gateway.openai_api.shapes import MODELS


def _model(name: str) -> Model:
    # `created` is unknown for a model we did not train; OpenAI's field is required, so 0.
    return Model(id=name, created=0, owned_by="brightrun")


class ModelsController(Controller):
    path = "/models"
    tags = ["openai-compatible"]

    @get("/")
    async def list_models(self) -> ModelList:
        return ModelList(data=[_model(name) for name in MODELS])

    @get("/{model:path}")
    async def retrieve(self, model: str) -> Model:
        name = model.lstrip("/")  # hub ids hold a slash: HuggingFaceTB/SmolLM2-135M-Instruct
        if name not in MODELS:
            raise OpenAIError(404, f"The model {name!r} does not exist here. How to fix: list "
                              "the models (GET /v1/models) and use one of them.",
                              param="model", code="model_not_found")
        return _model(name)
