-- UJ5.3.2: one share link event emails each of its recipients (their own link each), so an
-- event has one row per channel and destination; the id (derived from event, channel and
-- recipient) still makes a redelivery find its rows.
ALTER TABLE notifications DROP CONSTRAINT notifications_source_event_id_channel_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_source_channel_destination_key
    UNIQUE (source_event_id, channel, destination);
