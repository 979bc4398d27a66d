-- Distributed mode: the events each projection applied, recorded in the same transaction as
-- the read-model rows. A redelivered event (Kafka delivers at least once) is found here and
-- skipped; a query waiting for a consistency token looks up its (source, position).
CREATE TABLE applied_events (
    projection TEXT   NOT NULL,
    event_id   TEXT   NOT NULL,
    source     TEXT   NOT NULL,
    position   BIGINT NOT NULL,
    PRIMARY KEY (projection, event_id)
);
CREATE INDEX applied_events_position ON applied_events (source, position);
