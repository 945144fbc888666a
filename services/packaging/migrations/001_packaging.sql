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
