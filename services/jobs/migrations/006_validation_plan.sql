-- Issue 12 (stage 5): the validation plan the trainer runs after training, kept with the job so
-- every attempt and every retry/resume of it measures the same suites. NULL: a job created
-- before validation existed, which is not validated.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS validation jsonb;
