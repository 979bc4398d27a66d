-- Read models of the pilots context (pilot_views.rs). Valid SQL for both SQLite and
-- PostgreSQL; BYTEA columns hold protobuf messages (SQLite stores the bytes as a BLOB whatever
-- the declared type). Times are RFC 3339 in UTC with nine fractional digits
-- ('2026-09-30T23:59:59.000000000Z'), so that text order is time order. status and
-- visibility are the contract's enum names without their prefix ('IN_OPERATION', 'NETWORK').

-- One narrow row per pilot: the columns the read rule (projections/src/access.rs, PILOTS),
-- the filters, the order and the innovation funnel read. visibility: an UNSPECIFIED one is
-- stored as MUNICIPALITY (the contract's meaning), an unknown one as PRIVATE. responsible is
-- NULL while the plan names nobody. origin_idea: the id of the idea it was born from, NULL
-- for a pilot planned on its own. started_at: its start; decided_at: the decision that ended
-- it (TO_OPERATION, STOP, BACK_TO_IDEATION), NULL while it is open.
CREATE TABLE pilot_view (
    id           TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    planned_by   TEXT NOT NULL,
    responsible  TEXT,
    status       TEXT NOT NULL,
    origin_idea  TEXT,
    planned_at   TEXT NOT NULL,
    started_at   TEXT,
    decided_at   TEXT,
    updated_at   TEXT NOT NULL
);
-- Newest first, with the read rule's columns: a page walks an index and stops.
CREATE INDEX pilot_view_newest ON pilot_view (
    planned_at, id, municipality, visibility, planned_by, responsible
);
-- A municipality's pilots (the portfolio, the funnel), newest first.
CREATE INDEX pilot_view_newest_in ON pilot_view (
    municipality, planned_at, id, visibility, planned_by, responsible
);
-- The status filter.
CREATE INDEX pilot_view_status ON pilot_view (status, planned_at, id);
-- The idea filter: the pilots an idea became.
CREATE INDEX pilot_view_origin_idea ON pilot_view (origin_idea);

-- The pilot as its events made it (innohub.projections.v1.PilotRecord), read only for the
-- rows a page shows.
CREATE TABLE pilot_record (
    id     TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

-- Multi-valued fields to filter on (filter.rs): 'department' (the plan's departments, which
-- the read rule and the department filter match).
CREATE TABLE pilot_facet (
    pilot_id TEXT NOT NULL,
    facet    TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (pilot_id, facet, value)
);
CREATE INDEX pilot_facet_lookup ON pilot_facet (facet, value, pilot_id);
