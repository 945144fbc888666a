-- UJ3.3.2: every event a job produced, in order, with a category for colour and filtering.
CREATE TABLE events (
    event_id     uuid PRIMARY KEY,  -- also the idempotency key: a redelivered event is a no-op
    job_id       uuid        NOT NULL,
    attempt      int         NOT NULL DEFAULT 1,
    kind         text        NOT NULL,
    category     text        NOT NULL,  -- status, metrics, warning, error
    seq          int         NOT NULL DEFAULT 0,
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    message      text        NOT NULL,
    payload      jsonb       NOT NULL
);
CREATE INDEX events_job_time ON events (job_id, occurred_at, seq);

-- Metrics history; a step re-trained after a resume replaces the earlier row.
CREATE TABLE metrics (
    job_id        uuid        NOT NULL,
    step          int         NOT NULL,
    kind          text        NOT NULL,  -- train, eval
    attempt       int         NOT NULL,
    epoch         double precision,
    loss          double precision,
    val_loss      double precision,
    perplexity    double precision,
    learning_rate double precision,
    grad_norm     double precision,
    tokens_per_s  double precision,
    memory_bytes  bigint,
    total_steps   int,
    at            timestamptz NOT NULL,
    PRIMARY KEY (job_id, step, kind)
);

CREATE TABLE heartbeats (
    job_id     uuid PRIMARY KEY,
    attempt    int         NOT NULL,
    step       int         NOT NULL,
    last_seen  timestamptz NOT NULL
);
