"""The trainer: runs one `proto.training.TrainingJobSpec` on a GPU box (or this CPU).

Read `recipe.py` top to bottom for the story; each step calls one small module here.
It depends on `proto/` and `libs/common/` only, never on `services/`.
"""
