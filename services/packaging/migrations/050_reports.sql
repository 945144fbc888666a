-- UJ5.3.1: every version of a job's validation report; a new generation is a new version and
-- the old ones stay downloadable. A 'generating' row is work for the report worker, which
-- claims it (claimed_at) so that two replicas never render the same version.
CREATE TABLE report_versions (
    job_id        uuid        NOT NULL,
    version       int         NOT NULL,
    status        text        NOT NULL,  -- generating, ready, failed
    partial       boolean     NOT NULL DEFAULT false,
    requested_at  timestamptz NOT NULL,
    claimed_at    timestamptz,
    attempts      int         NOT NULL DEFAULT 0,
    ready_at      timestamptz,
    pdf_key       text,
    html_key      text,
    dashboard_key text,
    size_bytes    bigint,
    pages         int,
    generation_s  double precision,
    simplified    boolean     NOT NULL DEFAULT false,
    job_name      text        NOT NULL DEFAULT '',
    summary       text        NOT NULL DEFAULT '',
    message       text        NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, version)
);
CREATE INDEX report_versions_pending ON report_versions (requested_at) WHERE status = 'generating';

-- UJ5.3.2: share links. The token is signed and carries the share id and expiry; the row says
-- whether it was revoked and who it went to.
CREATE TABLE shares (
    id          uuid PRIMARY KEY,
    job_id      uuid        NOT NULL,
    job_name    text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    recipients  jsonb       NOT NULL DEFAULT '[]',  -- [{"email", "url"}]
    slack       boolean     NOT NULL DEFAULT false
);
CREATE INDEX shares_job ON shares (job_id, created_at);

-- Every view: when, through whose link (null: the public one), and a salted hash of the
-- address instead of the address.
CREATE TABLE share_views (
    id            bigserial PRIMARY KEY,
    share_id      uuid        NOT NULL REFERENCES shares (id),
    at            timestamptz NOT NULL,
    recipient     text,
    address_hash  text        NOT NULL,
    what          text        NOT NULL  -- dashboard, pdf
);
CREATE INDEX share_views_share ON share_views (share_id, at);
