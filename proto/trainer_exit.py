"""How a trainer process ends: its exit codes, read by provisioning (which reaps or watches the
process) and jobs (which decides between failing a job and recovering it).

Importable without torch, so the services need not load the trainer to agree with it.
"""

from __future__ import annotations

from enum import IntEnum


class TrainerExit(IntEnum):
    COMPLETED = 0
    FAILED = 1  # it reported Failed, with the reason, before exiting
    BAD_SPEC = 2  # no readable spec, so no webhook to report to: the reason is on stderr
    INTERRUPTED = 143  # 128 + SIGTERM, as a shell reports a process stopped by it


# The trainer gave up and said why (or could not, for want of a spec): the job fails.
# Any other non-zero exit of a live job's instance is an interruption, and is recovered.
GAVE_UP = frozenset({TrainerExit.FAILED, TrainerExit.BAD_SPEC})

# A RunPod pod reports no exit code: the trainer's own final report stands in for it.
BY_OUTCOME = {"completed": TrainerExit.COMPLETED, "failed": TrainerExit.FAILED}
