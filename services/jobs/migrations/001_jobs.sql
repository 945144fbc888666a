CREATE TABLE training_files (
    id            uuid PRIMARY KEY,
    name          text        NOT NULL,
    filename      text        NOT NULL,
    storage_key   text        NOT NULL,
    format        text        NOT NULL,
    size_bytes    bigint      NOT NULL,
    stats         jsonb       NOT NULL,
    eligibility   jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_files_newest ON training_files (created_at DESC);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    name              text        NOT NULL UNIQUE,
    description       text        NOT NULL DEFAULT '',
    notes             text        NOT NULL DEFAULT '',
    tags              text[]      NOT NULL DEFAULT '{}',
    training_file_id  uuid        NOT NULL REFERENCES training_files (id),
    preset            text        NOT NULL,
    model             jsonb       NOT NULL,
    lora              jsonb       NOT NULL,
    hyperparameters   jsonb       NOT NULL,
    gpu_type          text        NOT NULL,
    pricing           text        NOT NULL,
    status            text        NOT NULL,
    status_message    text        NOT NULL DEFAULT '',
    attempt           int         NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    adapter_key       text,
    error             jsonb,
    estimate          jsonb,
    parent_job_id     uuid REFERENCES jobs (id)
);
CREATE INDEX jobs_newest ON jobs (created_at DESC);

CREATE TABLE job_status_history (
    job_id      uuid        NOT NULL REFERENCES jobs (id),
    status      text        NOT NULL,
    message     text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_status_history_job ON job_status_history (job_id, at);
