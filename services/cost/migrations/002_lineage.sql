-- A retry or a resume is a new job linked to its parent: a per-job cap counts the parent's
-- spend too, so a linked job cannot start the cap afresh.
ALTER TABLE jobs ADD COLUMN parent_job_id uuid;
