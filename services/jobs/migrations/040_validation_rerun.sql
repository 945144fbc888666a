-- Issue 12: a validation re-run that needs the model runs on an attempt of its own; the job
-- keeps the latest one (its attempt, suites and outcome) so a failed re-run shows on a job that
-- stays completed. NULL: never re-run.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS validation_rerun jsonb;
