-- UJ2.1.2: a job that found no GPU to rent waits; what it waits for and what the user chose.
ALTER TABLE jobs ADD COLUMN gpu_wait jsonb;
