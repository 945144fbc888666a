-- UJ6.1–6.2: one row per job and artifact kind; a rebuild (validation finished again) bumps
-- the version and replaces the key.
CREATE TABLE artifacts (
    job_id      uuid        NOT NULL,
    kind        text        NOT NULL,  -- adapter-bundle, deployment-package
    status      text        NOT NULL,  -- building, ready, failed
    version     int         NOT NULL DEFAULT 0,
    key         text,
    filename    text        NOT NULL DEFAULT '',
    size_bytes  bigint,
    sha256      text,
    message     text        NOT NULL DEFAULT '',
    built_at    timestamptz,
    downloads   int         NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, kind)
);

-- What is asked of the builder: a job's artifacts are built at version `requested`; a request
-- while one is building bumps it, and the builder goes round again. `claimed_until` lets
-- replicas share the work (a crashed builder's claim lapses).
CREATE TABLE builds (
    job_id         uuid        PRIMARY KEY,
    requested      int         NOT NULL DEFAULT 1,
    built          int         NOT NULL DEFAULT 0,
    attempts       int         NOT NULL DEFAULT 0,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    claimed_until  timestamptz,
    last_error     text
);
CREATE INDEX builds_pending ON builds (requested_at) WHERE requested > built;
