-- Budget reservations (issue 15): a job's estimate is held against the month from the moment it
-- is accepted (rpc.cost.reserve_budget, on the locked budget row) until its final cost is
-- settled, so jobs accepted but not yet billed count in what is left of the budget.
CREATE TABLE reservations (
    reservation_id uuid        PRIMARY KEY,
    job_name       text        NOT NULL DEFAULT '',
    estimate_cents bigint      NOT NULL,
    parent_job_id  uuid,
    job_id         uuid UNIQUE,            -- set by the job's JobQueued
    created_at     timestamptz NOT NULL DEFAULT now(),
    bound_at       timestamptz,
    released_at    timestamptz,            -- NULL: held
    release_reason text                    -- settled, creation_failed, not_bound
);
CREATE INDEX reservations_held ON reservations (created_at) WHERE released_at IS NULL;
