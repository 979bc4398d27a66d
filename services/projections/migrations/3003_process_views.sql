-- Read models of the processes context. Valid SQL for both SQLite and PostgreSQL; BYTEA
-- columns hold protobuf messages of proto/innohub/projections/v1/process_views.proto (SQLite
-- stores the bytes as a BLOB whatever the declared type). Versions 3001 and 3002 held JSON
-- records; they were never released, and a database that has them applied is refused at
-- start-up (innohub_projections::migrations).

-- One narrow row per process: the columns queries filter, sort and count on. Kept apart
-- from the record so that scanning a municipality's backlog stays in a few pages. phase,
-- status and visibility are the contract's enum names without their prefix ('IN_PROGRESS').
CREATE TABLE process_view (
    id                   TEXT PRIMARY KEY,
    municipality         TEXT NOT NULL,
    visibility           TEXT NOT NULL,
    reporter             TEXT NOT NULL,
    owner                TEXT,
    phase                TEXT NOT NULL,
    status               TEXT NOT NULL,
    closed               BIGINT NOT NULL,
    title                TEXT NOT NULL,
    classification       TEXT,
    hours_saved          DOUBLE PRECISION NOT NULL,
    score                DOUBLE PRECISION NOT NULL,
    backlog_rank         BIGINT,
    submitted_at         TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
-- The backlog order (ranked first by rank, then by score) as an expression index that also
-- covers the read rule's columns: a page walks the index and stops; a count reads only it.
-- queries.rs orders by exactly this expression.
CREATE INDEX process_view_backlog ON process_view (
    municipality, closed,
    (CASE WHEN backlog_rank IS NULL THEN -score ELSE backlog_rank - 1000000000 END),
    id, visibility, reporter, owner
);
CREATE INDEX process_view_submitted ON process_view (submitted_at);

-- The process as its events made it (innohub.projections.v1.ProcessRecord), read only for
-- the rows a page shows.
CREATE TABLE process_record (
    id     TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

-- Multi-valued or enumerated fields to filter on (filter.rs says which).
CREATE TABLE process_facet (
    process_id TEXT NOT NULL,
    facet      TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (process_id, facet, value)
);
CREATE INDEX process_facet_lookup ON process_facet (facet, value, process_id);

CREATE TABLE process_comment (
    comment_id          TEXT PRIMARY KEY,
    process_id          TEXT NOT NULL,
    author              TEXT NOT NULL,
    author_municipality TEXT NOT NULL,
    text                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    position            BIGINT NOT NULL
);
CREATE INDEX process_comment_by_process ON process_comment (process_id, position);

-- Each municipality's scoring weights (innohub.processes.v1.ScoringWeights), once set.
CREATE TABLE scoring_weights (
    municipality TEXT PRIMARY KEY,
    weights      BYTEA NOT NULL
);

-- Each municipality's explicit backlog ranking (innohub.projections.v1.BacklogOrder). Kept
-- apart from process_view so that a ranking that arrives before its process (Kafka orders
-- events per aggregate only) is not lost: the rank is applied when the process row appears.
CREATE TABLE backlog_order (
    municipality TEXT PRIMARY KEY,
    ranked       BYTEA NOT NULL
);
