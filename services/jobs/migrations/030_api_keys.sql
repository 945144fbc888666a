-- Issue 15 ("Doors"): API keys for the gateway. Only a keyed hash of each key is kept (see
-- services/jobs/api_keys.py for why HMAC-SHA256 and not a password hash); the prefix is the
-- part a person recognises a key by in `brightrun keys list`.
CREATE TABLE api_keys (
    id            uuid        PRIMARY KEY,
    name          text        NOT NULL DEFAULT '',
    role          text        NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    key_hash      text        NOT NULL UNIQUE,
    prefix        text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_keys_newest ON api_keys (created_at DESC);
