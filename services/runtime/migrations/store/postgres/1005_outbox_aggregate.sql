-- Each outbox row names its aggregate, so the relay finds an aggregate's older unpublished
-- rows in the outbox itself (a short table) instead of through the aggregate's whole history.
ALTER TABLE outbox ADD COLUMN aggregate_id TEXT;
UPDATE outbox o SET aggregate_id = e.aggregate_id FROM events e WHERE e.position = o.position;
ALTER TABLE outbox ALTER COLUMN aggregate_id SET NOT NULL;
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, position);
