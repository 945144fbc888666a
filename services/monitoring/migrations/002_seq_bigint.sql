-- A trainer numbers events from generation × 10⁹ (trainer/report.py SEQ_STRIDE), one
-- generation per process on the job's output: a job recovered three times passes 2³¹.
ALTER TABLE events ALTER COLUMN seq TYPE bigint;
