-- UJ4.1: interruption recovery, UJ4.2.2/4.3.2: retries and resumes, UJ3.3.1: stuck stages.
ALTER TABLE jobs
    ADD COLUMN fault_injection    jsonb,
    ADD COLUMN interruptions      jsonb       NOT NULL DEFAULT '[]',
    ADD COLUMN failed_recoveries  int         NOT NULL DEFAULT 0,
    ADD COLUMN last_step          int         NOT NULL DEFAULT 0,
    -- when this service last heard from the current attempt's trainer (its own clock, so a
    -- trainer's clock skew cannot fake a heartbeat); NULL until the attempt first reports
    ADD COLUMN last_seen_at       timestamptz,
    ADD COLUMN status_since       timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN stage_warned       text        NOT NULL DEFAULT '',
    ADD COLUMN lineage            jsonb;

CREATE INDEX jobs_live ON jobs (status) WHERE status NOT IN ('completed', 'failed', 'cancelled');
