-- The reuse read models (reuse_views.rs): adoption links and umbrella groups, from the
-- processes events. Valid SQL for both SQLite and PostgreSQL.

-- One row per adopted process: where it was copied from. Written once (ProcessSubmitted
-- with adopted_from), never changed: the link is permanent.
CREATE TABLE process_adoption (
    adopted_id TEXT PRIMARY KEY,
    adopter_municipality TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    origin_municipality TEXT NOT NULL,
    adopted_at TEXT NOT NULL
);
CREATE INDEX process_adoption_origin ON process_adoption (origin_id, adopted_at);

-- One row per umbrella group; visibility as for processes ('PRIVATE', 'MUNICIPALITY',
-- 'NETWORK', 'PUBLIC'), created_by is the one person who always sees a PRIVATE one.
CREATE TABLE umbrella_view (
    id TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX umbrella_view_municipality ON umbrella_view (municipality, visibility);

-- The current members of each umbrella.
CREATE TABLE umbrella_member (
    umbrella_id TEXT NOT NULL,
    process_id TEXT NOT NULL,
    process_municipality TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (umbrella_id, process_id)
);
CREATE INDEX umbrella_member_process ON umbrella_member (process_id);
