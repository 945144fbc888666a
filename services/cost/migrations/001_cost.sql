-- The cost service's own picture of each job, learnt from events (it reads no other schema).
CREATE TABLE jobs (
    job_id              uuid PRIMARY KEY,
    name                text        NOT NULL DEFAULT '',
    tags                text[]      NOT NULL DEFAULT '{}',
    gpu_type            text        NOT NULL,
    pricing             text        NOT NULL,
    rate_cents_per_hour int         NOT NULL,  -- the rate known when the job was queued
    parameter_count     bigint      NOT NULL,
    estimate            jsonb,                 -- the estimate stored with the job
    estimate_cents      bigint,                -- its centre: what alerts and variance compare to
    queued_event_id     uuid        NOT NULL,
    created_at          timestamptz NOT NULL,
    final               jsonb,                 -- UJ6.3.1, set once the last instance is gone
    finalized_at        timestamptz
);

-- Status and progress arrive on other streams, maybe before the job above: kept apart.
CREATE TABLE statuses (
    job_id      uuid PRIMARY KEY,
    status      text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    finished_at timestamptz
);

CREATE TABLE training (
    job_id             uuid PRIMARY KEY,
    step               int         NOT NULL DEFAULT 0,
    total_steps        int         NOT NULL DEFAULT 0,
    train_runtime_s    double precision,
    tokens_trained     bigint,
    completed_event_id uuid
);

-- One row per instance attempt; each timestamp keeps the id of the event that set it.
CREATE TABLE attempts (
    job_id               uuid        NOT NULL,
    attempt              int         NOT NULL,
    instance_id          text,
    started_at           timestamptz,
    started_event_id     uuid,
    exited_at            timestamptz,
    exited_event_id      uuid,
    training_started_at  timestamptz,
    last_progress_at     timestamptz,
    interrupted          boolean     NOT NULL DEFAULT false,
    interrupted_event_id uuid,
    PRIMARY KEY (job_id, attempt)
);

-- The ledger: one entry per closed attempt, amount in exact units (rate cents/h × ms).
CREATE TABLE cost_entries (
    id                  bigserial PRIMARY KEY,
    job_id              uuid        NOT NULL,
    attempt             int         NOT NULL,
    kind                text        NOT NULL,  -- instance_time
    billable_ms         bigint      NOT NULL,
    rate_cents_per_hour int         NOT NULL,
    units               bigint      NOT NULL,
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz NOT NULL,
    billed_month        text        NOT NULL,  -- 'YYYY-MM' of ended_at, UTC
    start_event_id      uuid        NOT NULL,
    end_event_id        uuid        NOT NULL,
    UNIQUE (job_id, attempt, kind)
);
CREATE INDEX cost_entries_month ON cost_entries (billed_month);

CREATE TABLE job_alerts (
    job_id        uuid        NOT NULL,
    threshold_pct int         NOT NULL,
    event_id      uuid        NOT NULL,
    spend_cents   bigint      NOT NULL,
    raised_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, threshold_pct)
);

CREATE TABLE budget (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    monthly_limit_cents bigint,
    job_cap_cents       bigint,
    monthly_cap_cents   bigint,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE budget_alerts (
    month         text        NOT NULL,
    threshold_pct int         NOT NULL,
    event_id      uuid        NOT NULL,
    spent_cents   bigint      NOT NULL,
    raised_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, threshold_pct)
);

CREATE TABLE caps_reached (
    job_id      uuid        NOT NULL,
    scope       text        NOT NULL,  -- job, month
    event_id    uuid        NOT NULL,
    spend_cents bigint      NOT NULL,
    reached_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, scope)
);

-- The refit of the estimate's time model (timemodel.py): one observation per finished job.
CREATE TABLE time_observations (
    job_id             uuid PRIMARY KEY,
    completed_event_id uuid             NOT NULL,
    gpu_type           text             NOT NULL,
    size_class         int              NOT NULL,
    seed_s             double precision NOT NULL,
    duration_s         double precision NOT NULL,
    recorded_at        timestamptz      NOT NULL DEFAULT now()
);

CREATE TABLE time_model (
    gpu_type    text             NOT NULL,
    size_class  int              NOT NULL,
    slope       double precision NOT NULL,
    intercept_s double precision NOT NULL,
    jobs        int              NOT NULL,
    fitted_at   timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (gpu_type, size_class)
);
