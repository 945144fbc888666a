-- UJ4.3.1 / UJ5.1.2: a job's end is told with its final cost. When the cost service has not
-- settled it yet, the email and Slack rows wait (next_attempt_at a little ahead) with this flag
-- set; once the cost is settled the figure is written in and they are sent at once.
ALTER TABLE notifications ADD COLUMN awaits_cost boolean NOT NULL DEFAULT false;
CREATE INDEX notifications_awaiting_cost ON notifications (job_id) WHERE awaits_cost;
