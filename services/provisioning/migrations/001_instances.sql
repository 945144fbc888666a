CREATE TABLE instances (
    job_id       uuid        NOT NULL,
    attempt      int         NOT NULL,
    instance_id  text        NOT NULL,
    provider     text        NOT NULL,
    status       text        NOT NULL,  -- starting, running, terminating, exited
    pid          int,
    spec_path    text,
    exit_code    int,
    reason       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    exited_at    timestamptz,
    PRIMARY KEY (job_id, attempt)
);
CREATE INDEX instances_live ON instances (status) WHERE status IN ('starting', 'running', 'terminating');
