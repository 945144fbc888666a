-- UJ6.4.2: a finished job's settings saved under a name ("configuration_templates" in the
-- spec). A copy, not a reference: deleting or retrying the job leaves the template as saved.
CREATE TABLE configuration_templates (
    id               uuid        PRIMARY KEY,
    name             text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    tags             text[]      NOT NULL DEFAULT '{}',
    visibility       text        NOT NULL CHECK (visibility IN ('private', 'team')),
    source_job_id    uuid        REFERENCES jobs (id) ON DELETE SET NULL,
    source_job_name  text        NOT NULL DEFAULT '',
    preset           text        NOT NULL,
    model            jsonb       NOT NULL,
    lora             jsonb       NOT NULL,
    hyperparameters  jsonb       NOT NULL,
    gpu_type         text        NOT NULL,
    pricing          text        NOT NULL,
    gpu_count        int         NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- "Production Financial Advisory" and "production financial advisory " are the same name to a
-- person picking from a list.
CREATE UNIQUE INDEX configuration_templates_name ON configuration_templates (lower(btrim(name)));
CREATE INDEX configuration_templates_newest ON configuration_templates (created_at DESC);
