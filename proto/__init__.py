"""Event and command contracts shared by every Bright Run service and the trainer.

One module per domain. Events are past tense, commands imperative; every message carries
`event_id`, `occurred_at` and `schema_version`, and declares the subject it travels on.
A breaking change is a new message version, never an edit in place.
"""
