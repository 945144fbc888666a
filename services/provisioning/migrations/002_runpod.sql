-- RunPod pods: the pod behind an instance row, and what its trainer reported before the pod
-- stopped (RunPod gives no exit code: a pod that stops without one was taken away).
ALTER TABLE instances ADD COLUMN pod_id text;
ALTER TABLE instances ADD COLUMN trainer_outcome text;  -- completed, failed, interrupted

-- Last-known RunPod prices, served (marked stale) while RunPod's API cannot be reached.
CREATE TABLE gpu_prices (
    gpu_type                  text        PRIMARY KEY,  -- our name, e.g. H100-80GB
    runpod_id                 text        NOT NULL,
    display_name              text        NOT NULL,
    memory_gb                 int         NOT NULL,
    spot_cents_per_hour       int,
    on_demand_cents_per_hour  int,
    available                 boolean     NOT NULL,
    fetched_at                timestamptz NOT NULL
);
