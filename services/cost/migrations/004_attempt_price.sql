-- Each attempt is billed at the price of the JobQueued that started it: a job switched to
-- on-demand (UJ2.1.2), or moved to another GPU type, changes price mid-job. NULL: that attempt's
-- JobQueued is not in yet; it runs on at the price of the attempt before it and is not settled.
ALTER TABLE attempts ADD COLUMN gpu_type text, ADD COLUMN pricing text,
    ADD COLUMN rate_cents_per_hour int, ADD COLUMN queued_event_id uuid;
-- Jobs queued before this migration had their attempts' JobQueued handled without a row to
-- keep the price in: their attempts go on at the job's one rate, as they always were billed.
ALTER TABLE jobs ADD COLUMN priced_per_attempt boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ALTER COLUMN priced_per_attempt SET DEFAULT true;
-- A ledger entry says what it ran on; entries written before this had the job's.
ALTER TABLE cost_entries ADD COLUMN gpu_type text, ADD COLUMN pricing text;
