-- The quarterly status history and the cross-municipal overview. Valid SQL for both SQLite
-- and PostgreSQL.

-- One row per process event that changes what the status history counts or who may count
-- it (services/projections/src/timeline.rs): the submission, and every later event that
-- changes the phase, the status, the visibility, the owner or the departments, with the
-- event's time and the state after it. The history counts each process, at the end of a
-- quarter, in the state of its last row that occurred by then; only event times matter, so
-- a past quarter gives the same answer whenever it is asked. occurred_at is RFC 3339 in
-- UTC with nine fractional digits ('2026-09-30T23:59:59.000000000Z'), so that text order
-- is time order. phase, status and visibility are the contract's enum names without their
-- prefix ('IN_PROGRESS'); departments are the department ids joined by U+001F (a control
-- character, which no department id may hold).
CREATE TABLE process_timeline (
    process_id   TEXT NOT NULL,
    sequence     BIGINT NOT NULL,
    occurred_at  TEXT NOT NULL,
    municipality TEXT NOT NULL,
    phase        TEXT NOT NULL,
    status       TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    reporter     TEXT NOT NULL,
    owner        TEXT,
    departments  TEXT NOT NULL,
    PRIMARY KEY (process_id, sequence)
);
-- A municipality's history up to a time: one range of this index, in the order the
-- history walks it (each process's rows in sequence).
CREATE INDEX process_timeline_by_municipality ON process_timeline (
    municipality, process_id, sequence, occurred_at
);

-- The cross-municipal overview (services/projections/src/overview.rs) reads only shared
-- rows (visibility NETWORK or PUBLIC) and only these columns: it is answered from this
-- index without reading the table, in the order it groups by (classification). Partial, so
-- that it holds only the shared rows and no other query is planned on it: the overview's
-- statements carry its condition word for word.
CREATE INDEX process_view_shared_by_classification ON process_view (
    classification, municipality, phase, hours_saved, id, visibility
) WHERE visibility IN ('NETWORK', 'PUBLIC');
