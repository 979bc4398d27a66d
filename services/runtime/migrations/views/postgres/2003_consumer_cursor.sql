-- Distributed mode: how far each projection has read each partition of its source's topic,
-- committed in the same transaction as the read-model rows. The database, not the broker's
-- committed offsets, says where the consumer resumes.
CREATE TABLE consumer_offsets (
    projection      TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    kafka_partition BIGINT  NOT NULL,
    next_offset     BIGINT  NOT NULL,
    PRIMARY KEY (projection, topic, kafka_partition)
);
-- The last sequence of each aggregate a projection applied: the next event of the aggregate
-- must carry the one after it.
CREATE TABLE projection_streams (
    projection   TEXT   NOT NULL,
    aggregate_id TEXT   NOT NULL,
    sequence     BIGINT NOT NULL,
    PRIMARY KEY (projection, aggregate_id)
);
-- Events that arrived before their aggregate's previous event, held (as their envelope) until
-- it has been applied.
CREATE TABLE held_events (
    projection   TEXT   NOT NULL,
    aggregate_id TEXT   NOT NULL,
    sequence     BIGINT NOT NULL,
    envelope     BYTEA  NOT NULL,
    PRIMARY KEY (projection, aggregate_id, sequence)
);
