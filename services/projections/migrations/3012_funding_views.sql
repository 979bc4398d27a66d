-- Read models of the funding context (funding_views.rs). Valid SQL for both SQLite and
-- PostgreSQL; BYTEA columns hold protobuf messages (innohub.projections.v1, SQLite stores the
-- bytes as a BLOB whatever the declared type). Times are RFC 3339 in UTC with nine
-- fractional digits, so that text order is time order. status and visibility are the
-- contract's enum names without their prefix ('IN_REVIEW', 'NETWORK'). Each table is folded
-- from one stream (a fund's, a period's, an application's): the queries join them.

-- One narrow row per fund: the columns the read rule (projections/src/access.rs, FUNDS) and
-- the order read. visibility: the terms' (UNSPECIFIED is MUNICIPALITY, an unknown one
-- PRIVATE: fund managers and reviewers only).
CREATE TABLE fund_view (
    id           TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
-- A municipality's funds, newest first.
CREATE INDEX fund_view_newest_in ON fund_view (municipality, created_at, id, visibility);

-- The fund as its events made it (innohub.projections.v1.FundRecord: terms, rounds).
CREATE TABLE fund_record (
    id     TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

-- The ledger of each fund and year (innohub.projections.v1.FundLedgerRecord: the sums of
-- the period's events in minor units), by the period's stream id
-- ('fund-period:<fund>:<year>'). Read by its fund's read rule (a join on fund_view).
CREATE TABLE fund_period (
    id         TEXT PRIMARY KEY,
    fund_id    TEXT NOT NULL,
    year       BIGINT NOT NULL,
    record     BYTEA NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX fund_period_of_fund ON fund_period (fund_id, year);

-- The money of each grant (innohub.projections.v1.GrantRecord: the commitment, the
-- disbursements and returns), by application id; folded from its period's stream.
CREATE TABLE fund_grant (
    id        TEXT PRIMARY KEY,
    period_id TEXT NOT NULL,
    record    BYTEA NOT NULL
);

-- One narrow row per application: the columns the read rule (access.rs, APPLICATIONS), the
-- filters, the order and the innovation funnel read. visibility: a DRAFT is stored as
-- PRIVATE whatever its details say (only its applicants, its drafter and the fund managers
-- see it; the read rule leaves the fund reviewers out while status is DRAFT); otherwise the
-- details' (UNSPECIFIED is MUNICIPALITY, an unknown one PRIVATE). origin_idea: the id of the
-- idea it is for, NULL otherwise.
CREATE TABLE application_view (
    id           TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    drafted_by   TEXT NOT NULL,
    fund_id      TEXT NOT NULL,
    round_id     TEXT NOT NULL,
    status       TEXT NOT NULL,
    origin_idea  TEXT,
    drafted_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
-- A fund's applications (the pipeline's filters: fund, round, status).
CREATE INDEX application_view_of_fund ON application_view (fund_id, round_id, status);
-- A municipality's applications (the pipeline, the funnel), newest first.
CREATE INDEX application_view_newest_in ON application_view (
    municipality, drafted_at, id, visibility, drafted_by
);

-- The application as its events made it (innohub.projections.v1.ApplicationRecord).
CREATE TABLE application_record (
    id     TEXT PRIMARY KEY,
    record BYTEA NOT NULL
);

-- Multi-valued fields of the funding records (filter.rs): 'applicant' (the applicants of
-- an application, whom the read rule lets see it when PRIVATE).
CREATE TABLE funding_facet (
    record_id TEXT NOT NULL,
    facet     TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (record_id, facet, value)
);
CREATE INDEX funding_facet_lookup ON funding_facet (facet, value, record_id);
