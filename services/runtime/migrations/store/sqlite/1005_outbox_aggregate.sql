-- Each outbox row names its aggregate (the relay's per-aggregate order; on PostgreSQL).
ALTER TABLE outbox ADD COLUMN aggregate_id TEXT NOT NULL DEFAULT '';
UPDATE outbox SET aggregate_id = (SELECT e.aggregate_id FROM events e WHERE e.position = outbox.position);
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, position);
