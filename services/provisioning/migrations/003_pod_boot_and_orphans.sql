-- When the watcher first saw the instance's pod running: the boot timeout applies only before
-- it (after, a runtime that reads null is RunPod restarting the container, not a failed boot).
ALTER TABLE instances ADD COLUMN booted_at timestamptz;

-- Pods named for this platform that no instance owns (a create that answered an error but made
-- the pod; a crash between create and commit), terminated by the reconciler: one row each, so
-- a pod is reported (and billed) once across restarts and replicas.
CREATE TABLE orphan_pods (
    pod_id         text        PRIMARY KEY,
    job_id         uuid        NOT NULL,
    attempt        int         NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    terminated_at  timestamptz
);
