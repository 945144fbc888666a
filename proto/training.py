"""The trainer contract: the job spec it runs, and the events it reports through webhooks.

The trainer posts each `TrainerEvent` to the gateway (HMAC-signed); the gateway republishes it
unchanged on `TrainingEventReported.subject`, with the event's `event_id` as `Nats-Msg-Id`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal

import msgspec

from proto.base import Message
from proto.validation import SuiteName, ValidationPlan

Stage = Literal["preprocessing", "model_loading", "training", "finalizing", "validating"]
FailureClass = Literal[
    "out_of_memory", "data_format", "timeout", "network_storage", "nan_loss", "interrupted", "internal"
]


class LoraSettings(msgspec.Struct, frozen=True, kw_only=True):
    r: Annotated[int, msgspec.Meta(ge=1, le=256)] = 16
    alpha: Annotated[int, msgspec.Meta(ge=1, le=512)] = 32
    dropout: Annotated[float, msgspec.Meta(ge=0.0, le=0.5)] = 0.05
    target_modules: list[str] = msgspec.field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )


class Hyperparameters(msgspec.Struct, frozen=True, kw_only=True):
    """Every knob a job may set, each with the range a request is validated against."""

    learning_rate: Annotated[float, msgspec.Meta(gt=0.0, le=0.01)] = 2e-4
    epochs: Annotated[int, msgspec.Meta(ge=1, le=20)] = 3
    micro_batch_size: Annotated[int, msgspec.Meta(ge=1, le=128)] = 4
    grad_accumulation: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    max_seq_len: Annotated[int, msgspec.Meta(ge=64, le=32768)] = 2048
    warmup_ratio: Annotated[float, msgspec.Meta(ge=0.0, le=0.5)] = 0.03
    weight_decay: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0
    max_steps: Annotated[int, msgspec.Meta(ge=0)] = 0  # 0: run all epochs
    checkpoint_every_steps: Annotated[int, msgspec.Meta(ge=1, le=100000)] = 100
    keep_checkpoints: Annotated[int, msgspec.Meta(ge=1, le=50)] = 3
    report_every_steps: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 1
    seed: int = 42
    # Recompute activations in backward on as few layers as memory needs ("auto"), every layer
    # (least memory) or none (fastest, if it fits): trainer.activations.
    gradient_checkpointing: Literal["auto", "all", "none"] = "auto"


class ModelRef(msgspec.Struct, frozen=True, kw_only=True):
    """A base model: the embedded SmolLM2, a tiny random Llama (tests), or any local path / hub id."""

    name: str = "embedded:smollm2-135m-instruct"
    quantization: Literal["auto", "none", "nf4"] = "auto"  # auto: nf4 on CUDA, full precision on CPU
    parameter_count: int = 135_000_000


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the trainer reads data and writes checkpoints: `file:///dir` or `s3://…` (libs.common.storage)."""

    url: str


# The share of a file's conversations the trainer holds out for validation (a hash of each
# conversation id decides, trainer/data.split_by_conversation); the estimate trains the rest.
VAL_FRACTION = 0.2

# The longest a trainer waits between webhook tries: the jobs watchdog allows for it after a
# bus outage before it calls a silent trainer lost.
WEBHOOK_RETRY_MAX_S = 30.0


class TrainingJobSpec(msgspec.Struct, frozen=True, kw_only=True):
    job_id: uuid.UUID
    attempt: int = 1
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    lora: LoraSettings = msgspec.field(default_factory=LoraSettings)
    hyperparameters: Hyperparameters = msgspec.field(default_factory=Hyperparameters)
    training_file_key: str  # object key of the uploaded training file
    output_prefix: str  # object key prefix for checkpoints and the adapter
    storage: StorageSettings
    webhook_url: str
    webhook_secret: str
    resume_from: str | None = None  # checkpoint key; None resumes from the newest valid one, if any
    heartbeat_s: float = 5.0
    # How long the machine gives the trainer between SIGTERM and SIGKILL (the provider says:
    # RunPod documents 5 s for a pod it stops). The trainer saves a checkpoint on SIGTERM only
    # when its last save's time fits in what is left, and delivers its events inside it.
    stop_grace_s: Annotated[float, msgspec.Meta(gt=0.0, le=3600.0)] = 30.0
    # While the gateway (or the bus behind it) is down, webhooks wait in order and are retried
    # with backoff capped at `webhook_retry_max_s`; an outage past the horizon drops them.
    webhook_retry_max_s: Annotated[float, msgspec.Meta(gt=0)] = WEBHOOK_RETRY_MAX_S
    webhook_retry_horizon_s: Annotated[float, msgspec.Meta(ge=0)] = 900.0
    # Stage 5: the suites measured after training, on this instance (None: none).
    validation: ValidationPlan | None = None


# --- Events the trainer reports (a tagged union, one webhook body each) --------------------------


class _TrainerEvent(Message, frozen=True, kw_only=True, tag_field="kind"):
    job_id: uuid.UUID
    attempt: int = 1
    seq: int = 0  # monotonic per attempt, so consumers can order and spot gaps


class StageProgress(msgspec.Struct, frozen=True, kw_only=True):
    """How far a stage's current sub-step is (UJ2.2.1, UJ2.3.1): "tokenizing 1,200 of 2,400
    examples", or bytes of weights downloaded."""

    percent: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
    done: int
    total: int
    unit: Literal["examples", "bytes", "steps"] = "examples"
    remaining_s: float | None = None  # None: no rate to go by yet
    # What remaining_s rests on: "measured" (this sub-step's own rate so far) or a plain
    # statement of the default it assumes.
    remaining_basis: str = ""
    # Model loading: "cached" (embedded model, local path, warm cache: nothing to download) or
    # "downloading" (a hub model; done/total in bytes).
    cache: Literal["cached", "downloading"] | None = None


class TrainingReady(msgspec.Struct, frozen=True, kw_only=True):
    """UJ2.3.2 "Ready to train": what was loaded and how long training should take."""

    conversations: int
    training_pairs: int
    sequences: int
    model: str
    quantization: Literal["nf4", "none"]
    epochs: int
    total_steps: int
    steps_left: int
    step_time_s: float
    # "measured": the checkpoint's own steps (a resume); "estimated": a timed forward pass
    # on the largest batch, times 3 for backward (≈ 2× forward) and the passes a step makes.
    step_time_basis: Literal["measured", "estimated"]
    expected_training_s: float


class StageChanged(_TrainerEvent, frozen=True, kw_only=True, tag="stage"):
    stage: Stage
    detail: str = ""  # e.g. "downloading/caching weights", "quantizing", "initialising adapters"
    resumed_from_step: int | None = None  # on "training": the checkpoint step it restarted from
    progress: StageProgress | None = None  # within the stage (throttled: trainer/progress.py)
    ready: TrainingReady | None = None  # on "training": the summary before the first step


class Progress(_TrainerEvent, frozen=True, kw_only=True, tag="progress"):
    step: int
    total_steps: int
    epoch: float
    loss: float
    learning_rate: float
    grad_norm: float | None = None
    tokens_per_s: float | None = None
    memory_bytes: int | None = None


class Evaluation(_TrainerEvent, frozen=True, kw_only=True, tag="evaluation"):
    step: int
    epoch: float
    val_loss: float
    perplexity: float


class CheckpointSaved(_TrainerEvent, frozen=True, kw_only=True, tag="checkpoint"):
    step: int
    key: str
    size_bytes: int
    reason: Literal["interval", "sigterm", "final", "cap"] = "interval"


class ResourceSample(_TrainerEvent, frozen=True, kw_only=True, tag="resources"):
    device: str
    memory_bytes: int
    memory_total_bytes: int | None = None
    utilisation_pct: float | None = None


class Heartbeat(_TrainerEvent, frozen=True, kw_only=True, tag="heartbeat"):
    step: int = 0


class DataReport(_TrainerEvent, frozen=True, kw_only=True, tag="data"):
    train_examples: int
    val_examples: int
    skipped: dict[str, str] = msgspec.field(default_factory=dict)  # pair id -> why
    truncated_examples: int = 0
    dropped_tokens: int = 0
    total_tokens: int = 0
    # Sequences after conversation-prefix packing (trainer/packing.py); None from older trainers.
    train_sequences: int | None = None
    conversations: int | None = None  # in the training file; None from older trainers


class Completed(_TrainerEvent, frozen=True, kw_only=True, tag="completed"):
    adapter_key: str
    final_loss: float | None = None
    final_val_loss: float | None = None
    final_perplexity: float | None = None
    steps: int = 0
    train_runtime_s: float = 0.0
    tokens_trained: int = 0


class SuiteMeasured(_TrainerEvent, frozen=True, kw_only=True, tag="suite"):
    """One validation suite's model work is done (or failed: `ok` False and why in `message`).

    The detail (proto.validation.SuiteDetail) is too large for a webhook body: it is stored at
    `detail_key`, and `detail_sha256` lets the validation service check what it reads."""

    suite: SuiteName
    ok: bool
    message: str = ""
    duration_s: float = 0.0
    detail_key: str | None = None
    detail_sha256: str | None = None


class Failed(_TrainerEvent, frozen=True, kw_only=True, tag="failed"):
    failure_class: FailureClass
    message: str
    suggested_fix: str = ""
    suggested_changes: dict[str, float | int | str] = msgspec.field(default_factory=dict)
    step: int | None = None
    last_checkpoint_key: str | None = None


TrainerEvent = (
    StageChanged
    | Progress
    | Evaluation
    | CheckpointSaved
    | ResourceSample
    | Heartbeat
    | DataReport
    | SuiteMeasured
    | Completed
    | Failed
)


class TrainingEventReported(msgspec.Struct, frozen=True, kw_only=True):
    """Bus envelope for a verified trainer event; its `event` keeps the trainer's `event_id`."""

    subject: ClassVar[str] = "training.event.reported.v1"
    event: TrainerEvent

    @property
    def event_id(self) -> uuid.UUID:
        return self.event.event_id

    @classmethod
    def unwrap(cls, body: bytes) -> TrainerEvent:
        """The trainer event inside an envelope's bytes (for batch consumers' decode)."""
        return msgspec.json.decode(body, type=cls).event


def event_kind(event: TrainerEvent) -> str:
    return type(event).__struct_config__.tag
