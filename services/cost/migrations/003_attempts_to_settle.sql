-- The final cost waits for every queued attempt to be settled: its instance started and gone,
-- or never started. A final status says how many attempts the job had.
ALTER TABLE statuses ADD COLUMN attempt int NOT NULL DEFAULT 1;
ALTER TABLE attempts ADD COLUMN failed_to_start_event_id uuid;
