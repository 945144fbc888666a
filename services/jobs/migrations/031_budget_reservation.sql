-- Issue 15: the budget reservation (cost service) a job was accepted on; its JobQueued carries
-- it so cost binds the held estimate to the job. NULL for jobs created without one.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS reservation_id uuid;
