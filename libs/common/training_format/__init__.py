"""Training files in the brightrun-lora-v4 family and OpenAI chat JSONL, parsed into one model.

    training_file = parse_training_file(data, "seed.json")   # raises TrainingFormatError
    for pair in iter_examples(training_file): ...              # usable pairs only
"""

from .detect import parse_training_file
from .errors import TrainingFormatError
from .model import (
    Claim,
    Conversation,
    Format,
    Scaffolding,
    TrainingFile,
    TrainingPair,
    Turn,
    iter_examples,
)

__all__ = [
    "Claim",
    "Conversation",
    "Format",
    "Scaffolding",
    "TrainingFile",
    "TrainingFormatError",
    "TrainingPair",
    "Turn",
    "iter_examples",
    "parse_training_file",
]
