"""On a RunPod pod, the trainer ends its own pod when it exits, whatever the outcome.

RunPod restarts a container whose process exits, so a trainer that has sent its final report
(or has given up on an unreachable gateway or storage) and just exits would start over, and
bill, until the platform ends the pod — which it cannot do if the report never arrived. The
pod ends itself instead, the way RunPod documents for a pod that is done: `runpodctl remove
pod $RUNPOD_POD_ID`. RunPod puts RUNPOD_POD_ID and a RUNPOD_API_KEY scoped to this pod alone in
every pod's environment, so no key of the platform's enters the pod. Without `runpodctl` (an
image that lacks it), the same call is made directly: GraphQL `podTerminate` with that key.

The platform also terminates the pod when the final report arrives (provisioning pods.py):
this is for the reports that do not.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Mapping

import httpx

log = logging.getLogger(__name__)
POD_ID_ENV, POD_KEY_ENV = "RUNPOD_POD_ID", "RUNPOD_API_KEY"
API_URL_ENV = "RUNPOD_API_BASE_URL"  # as the runpod SDK reads it; the provider sets it
TERMINATE = "mutation Terminate($id: String!) { podTerminate(input: {podId: $id}) }"
RETRY_DELAYS_S = (1.0, 5.0, 15.0, 30.0)


def stop_own_pod(environ: Mapping[str, str] = os.environ,
                 retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S) -> bool:
    """Terminate the pod this process runs in; False where there is none (not on RunPod) or
    RunPod could not be told (the platform's watcher then ends it, see pods.py)."""
    pod_id, key = environ.get(POD_ID_ENV), environ.get(POD_KEY_ENV)
    if not pod_id or not key:
        return False
    log.info("ending this pod (%s) so RunPod does not restart the trainer", pod_id)
    for delay in (*retry_delays_s, None):
        if _runpodctl(pod_id) or _graphql(pod_id, key, environ):
            return True
        if delay is not None:
            time.sleep(delay)
    log.error("could not end pod %s; the platform will terminate it", pod_id)
    return False


def _runpodctl(pod_id: str) -> bool:
    if shutil.which("runpodctl") is None:
        return False
    done = subprocess.run(["runpodctl", "remove", "pod", pod_id], capture_output=True,
                          text=True, timeout=60, check=False)
    return done.returncode == 0


def _graphql(pod_id: str, key: str, environ: Mapping[str, str]) -> bool:
    url = environ.get(API_URL_ENV, "https://api.runpod.io").rstrip("/") + "/graphql"
    try:
        answer = httpx.post(url, json={"query": TERMINATE, "variables": {"id": pod_id}},
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("RunPod did not answer the terminate: %s", exc)
        return False
    if answer.status_code != 200 or body.get("errors"):
        log.warning("RunPod refused the terminate: HTTP %s %s", answer.status_code,
                    body.get("errors"))
        return False
    return True
