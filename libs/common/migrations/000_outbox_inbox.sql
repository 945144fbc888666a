-- Every service schema gets these two: the transactional outbox (publish only after commit)
-- and the inbox ledger of applied event ids (redelivery is harmless).
CREATE TABLE IF NOT EXISTS outbox (
    id           bigserial PRIMARY KEY,
    subject      text        NOT NULL,
    payload      bytea       NOT NULL,
    msg_id       text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS inbox (
    consumer   text        NOT NULL,
    event_id   uuid        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
