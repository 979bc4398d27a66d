-- Read models of the ideas context: ideas and the municipalities' criteria (idea_views.rs),
-- challenges, workshops and action items (challenge_views.rs). Valid SQL for both SQLite and
-- PostgreSQL; BYTEA columns hold protobuf messages (SQLite stores the bytes as a BLOB
-- whatever the declared type). Times are RFC 3339 in UTC with nine fractional digits
-- ('2026-09-30T23:59:59.000000000Z'), so that text order is time order; dates are ISO
-- ('2026-09-30'). stage, visibility and likely_outcome are the contract's enum names without
-- their prefix ('EXPLORING', 'NETWORK', 'OWN_DEVELOPMENT').

-- One narrow row per idea: the columns the read rule (projections/src/access.rs, IDEAS),
-- the filters and the order read. visibility: an UNSPECIFIED one is stored as MUNICIPALITY
-- (the contract's meaning), an unknown one as PRIVATE.
CREATE TABLE idea_view (
    id             TEXT PRIMARY KEY,
    municipality   TEXT NOT NULL,
    visibility     TEXT NOT NULL,
    submitter      TEXT NOT NULL,
    stage          TEXT NOT NULL,
    likely_outcome TEXT,
    challenge_id   TEXT,
    submitted_at   TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
-- Newest first, with the read rule's columns: a page walks an index and stops.
CREATE INDEX idea_view_newest ON idea_view (submitted_at, id, municipality, visibility, submitter);
CREATE INDEX idea_view_newest_in ON idea_view (
    municipality, submitted_at, id, visibility, submitter
);
CREATE INDEX idea_view_challenge ON idea_view (challenge_id);

-- The idea as its events made it (innohub.projections.v1.IdeaRecord), read only for the
-- rows a page shows.
CREATE TABLE idea_record (
    id     TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

-- Multi-valued fields to filter on (filter.rs): 'department', 'tag', 'reviewer' (whom the
-- read rule lets see a PRIVATE idea) and 'became' (the context of each outcome:
-- 'processes').
CREATE TABLE idea_facet (
    idea_id TEXT NOT NULL,
    facet   TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (idea_id, facet, value)
);
CREATE INDEX idea_facet_lookup ON idea_facet (facet, value, idea_id);

-- One row per stage an idea entered: its submission (SUBMITTED) and each gate decision, at
-- the event's sequence and time. The funnel reads them.
CREATE TABLE idea_stage (
    idea_id    TEXT NOT NULL,
    sequence   BIGINT NOT NULL,
    stage      TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (idea_id, sequence)
);

-- Each municipality's criteria in force (innohub.ideas.v1.IdeaCriteriaSet), once set.
CREATE TABLE idea_criteria (
    municipality TEXT PRIMARY KEY,
    criteria     BYTEA NOT NULL
);

-- One row per challenge; status is the contract's full name ('CHALLENGE_STATUS_OPEN'),
-- details an innohub.ideas.v1.ChallengeDetails.
CREATE TABLE idea_challenge (
    id            TEXT PRIMARY KEY,
    municipality  TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    closed_reason TEXT NOT NULL,
    details       BYTEA NOT NULL
);
CREATE INDEX idea_challenge_municipality ON idea_challenge (municipality, created_at);

-- One row per workshop; details an innohub.ideas.v1.WorkshopDetails, held_on its date.
CREATE TABLE idea_workshop (
    id           TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    held_on      TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    details      BYTEA NOT NULL
);
CREATE INDEX idea_workshop_municipality ON idea_workshop (municipality, held_on);

-- One row per action item; status 'OPEN', 'DONE' or 'DROPPED'; closed_at when it was done
-- or dropped; idea_id NULL for the workshop as a whole. Overdue: OPEN and deadline < today.
CREATE TABLE idea_action_item (
    id           TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    workshop_id  TEXT NOT NULL,
    idea_id      TEXT,
    title        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    status       TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    closed_at    TEXT,
    drop_reason  TEXT
);
CREATE INDEX idea_action_item_municipality ON idea_action_item (municipality, deadline, id);
