#!/bin/sh
# The trainer image's entrypoint. RunPod restarts a container whose process exits, so on a pod
# the trainer must end its own pod once it is done (trainer/pod_self.py). `run` does so on every
# exit it lives to see; `stop-pod` after it covers those it does not (killed for memory, a
# segfault). Off RunPod (no RUNPOD_POD_ID) both are no-ops.
# This shell is PID 1 and would swallow SIGTERM, so it passes it on: the trainer checkpoints on
# SIGTERM when the save fits in RunPod's 5 s stop grace (the spec's stop_grace_s; trainer/loop.py:
# stopped), and reports in it, before the SIGKILL.
python -m trainer run --spec /job/spec.json &
trainer=$!
trap 'kill -TERM "$trainer" 2>/dev/null' TERM INT
wait "$trainer"
code=$?
if kill -0 "$trainer" 2>/dev/null; then  # woken by the trap: wait for the checkpoint
    wait "$trainer"
    code=$?
fi
python -m trainer stop-pod
exit "$code"
