-- Issue 12: validation time is billed as its own cost line. When an attempt's trainer first
-- reported the "validating" stage, and whether the attempt was a validation-only re-run (all of
-- it validation; NULL until its JobQueued is handled, as with its price).
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS validation_started_at timestamptz;
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS validation_only boolean;
