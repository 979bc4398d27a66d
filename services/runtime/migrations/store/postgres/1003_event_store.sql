-- The event store: the source of truth of a service. Each event is its contract message
-- (proto/innohub/<context>/v1/events.proto) in protobuf bytes, named by event_type.
-- Versions 1001 and 1002 held JSON payloads; they were never released, and a database that
-- has them applied is refused at start-up (innohub-runtime's store::migrations).
CREATE TABLE events (
    position           BIGSERIAL PRIMARY KEY,
    event_id           TEXT    NOT NULL UNIQUE,
    municipality       TEXT    NOT NULL,
    aggregate_type     TEXT    NOT NULL,
    aggregate_id       TEXT    NOT NULL,
    sequence           BIGINT  NOT NULL,
    event_type         TEXT    NOT NULL,
    payload            BYTEA   NOT NULL,
    actor_user         TEXT    NOT NULL,
    actor_municipality TEXT    NOT NULL,
    occurred_at        TEXT    NOT NULL,
    correlation_id     TEXT    NOT NULL,
    causation_id       TEXT,
    UNIQUE (aggregate_id, sequence)
);

-- Events waiting for the relay (distributed mode); removed once the broker acknowledged them.
-- traceparent: the W3C trace context of the command that appended the event; the relay sends
-- it as the Kafka header `traceparent`, so one trace spans the command and the projection.
CREATE TABLE outbox (
    position    BIGINT PRIMARY KEY REFERENCES events (position),
    traceparent TEXT
);

-- A retried command with the same key returns the first result and appends nothing; the
-- request fingerprint catches a key reused for a different command.
CREATE TABLE idempotency_keys (
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    result     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
