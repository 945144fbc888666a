-- Issue 12: validation runs per job (a re-run is a new run), each suite's result per run, every
-- scored scenario (the unit a restarted scorer resumes from), blind-review items, rubrics.
CREATE TABLE runs (
    job_id            uuid        NOT NULL,
    run               int         NOT NULL,
    attempt           int,            -- the trainer attempt measuring it; NULL: rescoring only
    status            text        NOT NULL,  -- requested, measuring, scoring, awaiting_review, completed, failed
    measuring_done    boolean     NOT NULL DEFAULT false,  -- the trainer reported all it will
    scorer            text        NOT NULL,  -- judge, review
    judge_model       text,
    judge_calls       int         NOT NULL DEFAULT 0,
    prompt_tokens     bigint      NOT NULL DEFAULT 0,
    completion_tokens bigint      NOT NULL DEFAULT 0,
    message           text        NOT NULL DEFAULT '',
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    PRIMARY KEY (job_id, run)
);
CREATE UNIQUE INDEX runs_attempt ON runs (job_id, attempt) WHERE attempt IS NOT NULL;

CREATE TABLE suites (
    job_id        uuid        NOT NULL,
    run           int         NOT NULL,
    suite         text        NOT NULL,
    status        text        NOT NULL,
    detail_key    text,
    detail_sha256 text,
    duration_s    double precision NOT NULL DEFAULT 0,
    prompt_id     text,
    rubric        jsonb,          -- brand voice: the rubric it is scored with, fixed at the start
    figures       jsonb,
    badge         text,
    headline      text        NOT NULL DEFAULT '',
    scored        int         NOT NULL DEFAULT 0,
    failed        int         NOT NULL DEFAULT 0,
    total         int         NOT NULL DEFAULT 0,
    message       text        NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, run, suite),
    FOREIGN KEY (job_id, run) REFERENCES runs (job_id, run)
);

-- One row per scenario once it has an outcome: a score, or (judge) a failure. Never updated:
-- the primary key is what stops a resumed scorer from scoring anything twice.
CREATE TABLE scores (
    job_id      uuid        NOT NULL,
    run         int         NOT NULL,
    suite       text        NOT NULL,
    scenario_id text        NOT NULL,
    ok          boolean     NOT NULL,
    score       jsonb,
    error       text        NOT NULL DEFAULT '',
    source      text        NOT NULL,  -- judge, review
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, run, suite, scenario_id)
);

-- Blind review: which answer is "A" lives here and nowhere else.
CREATE TABLE review_items (
    item_id      uuid PRIMARY KEY,
    job_id       uuid        NOT NULL,
    run          int         NOT NULL,
    suite        text        NOT NULL,
    scenario_id  text        NOT NULL,
    position     int         NOT NULL,  -- the order items are handed out
    a_is_trained boolean     NOT NULL,
    leased_to    text,
    lease_until  timestamptz,
    scored_by    text,
    scored_at    timestamptz,
    UNIQUE (job_id, run, suite, scenario_id)
);
CREATE INDEX review_items_open ON review_items (job_id, position) WHERE scored_at IS NULL;

CREATE TABLE rubrics (
    rubric_id       uuid PRIMARY KEY,
    name            text        NOT NULL,
    characteristics jsonb       NOT NULL,
    avoid           jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    job_id      uuid PRIMARY KEY,
    adapter_key text,           -- from the trainer's Completed: what a model re-run validates
    rubric_id   uuid REFERENCES rubrics (rubric_id)
);
