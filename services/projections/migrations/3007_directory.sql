-- Read models of the directory context (services/projections/src/directory_views.rs): who the
-- tenants are and who shares with whom. Written only by the directory_views projection;
-- other read paths may read them. Valid SQL for both SQLite and PostgreSQL.

-- One row per registered municipality. size_band is the contract enum's name without its
-- prefix ('UNDER_10K', '10K_TO_30K', ...); registered_at is RFC 3339.
CREATE TABLE directory_municipality (
    id            TEXT PRIMARY KEY,
    country       TEXT NOT NULL,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    inhabitants   BIGINT NOT NULL,
    size_band     TEXT NOT NULL,
    registered_at TEXT NOT NULL
);

-- A municipality's departments, a tree by parent_id (NULL = top level); retired is 0 or 1.
CREATE TABLE directory_department (
    municipality  TEXT NOT NULL,
    department_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    parent_id     TEXT,
    retired       BIGINT NOT NULL,
    PRIMARY KEY (municipality, department_id)
);

-- One row per network; founder is the founding municipality, created_at RFC 3339.
CREATE TABLE directory_network (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    founder    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Each municipality's standing in a network: 'INVITED', 'MEMBER' or 'LEFT', since the time
-- of the event that put it there (RFC 3339).
CREATE TABLE directory_network_member (
    network_id   TEXT NOT NULL,
    municipality TEXT NOT NULL,
    state        TEXT NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (network_id, municipality)
);
-- A municipality's networks (the tenant check and the viewer's partners read this).
CREATE INDEX directory_network_member_by_municipality
    ON directory_network_member (municipality, state, network_id);
