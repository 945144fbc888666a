"""Fixtures for the trainer integration tests (whole runs in processes,
webhooks over HTTP, sockets): a model cache for the session and the tiny model's
tokenizer, from tests/trainer_testkit.py."""

from trainer_testkit import model_cache, tokenizer  # noqa: F401 - fixtures, found by name
