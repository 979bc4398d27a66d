-- The W3C trace context of the command that appended the event: the relay sends it as
-- the Kafka header `traceparent`, so one trace spans the command and the projection.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
