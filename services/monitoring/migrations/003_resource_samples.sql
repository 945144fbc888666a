-- UJ6.1.2: the metrics export finds each step's nearest resource sample by time.
CREATE INDEX events_resources ON events (job_id, occurred_at) WHERE kind = 'resources';
