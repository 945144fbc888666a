-- Issue 17: training sets combine several uploaded files. The combined, de-duplicated file the
-- trainer reads is a training_files row of its own (so jobs, retries and packaging treat it as
-- any file); training_set_id marks it, and keeps it out of the list of uploads.
CREATE TABLE training_sets (
    id                 uuid        PRIMARY KEY,
    name               text        NOT NULL,
    training_file_ids  uuid[]      NOT NULL,
    duplicates         jsonb       NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_sets_newest ON training_sets (created_at DESC);

ALTER TABLE training_files ADD COLUMN training_set_id uuid REFERENCES training_sets (id);
CREATE UNIQUE INDEX training_files_of_set ON training_files (training_set_id)
    WHERE training_set_id IS NOT NULL;
