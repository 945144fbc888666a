-- Preferences: the user's ('user:default') and per-job overrides ('job:<uuid>'); a null column
-- inherits (a job's from the user's, the user's from the defaults in domain.py).
CREATE TABLE preferences (
    scope             text PRIMARY KEY,
    channels          text[],
    triggers          text[],
    stages            text[],
    email_to          text,
    slack_webhook_url text,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per (triggering event, channel): the id is derived from both, so a redelivered event
-- finds its rows instead of making new ones. The row is the delivery ledger: it is written before
-- the triggering message is acked, and its status moves pending → sending → delivered | failed.
CREATE TABLE notifications (
    id               uuid PRIMARY KEY,
    source_event_id  uuid        NOT NULL,
    channel          text        NOT NULL,
    destination      text        NOT NULL,  -- email address or webhook URL, snapshot at creation
    job_id           uuid,
    trigger          text        NOT NULL,
    severity         text        NOT NULL,
    title            text        NOT NULL,
    body             text        NOT NULL,
    facts            jsonb       NOT NULL DEFAULT '[]',
    links            jsonb       NOT NULL DEFAULT '{}',
    status           text        NOT NULL,
    attempts         int         NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,  -- a 'sending' row past this was abandoned by a dead process
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    acknowledged_at  timestamptz,
    UNIQUE (source_event_id, channel)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_newest ON notifications (created_at DESC);
