-- Reads that do not grow with the store. Valid SQL for both SQLite and PostgreSQL.

-- How many processes each municipality has per visibility, open (closed = 0) or closed,
-- kept by the projection as processes come, change visibility and close: a list's
-- totalCount adds up these rows with the read rule instead of counting the municipality's
-- rows (queries.rs; only PRIVATE processes, which only some members see, are counted one by
-- one, through process_view_audience).
CREATE TABLE process_counts (
    municipality TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    closed       BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (municipality, visibility, closed)
);
INSERT INTO process_counts (municipality, visibility, closed, n)
SELECT municipality, visibility, closed, COUNT(*) FROM process_view
GROUP BY municipality, visibility, closed;

-- `processes`, newest first, with or without a municipality: a page walks one of these from
-- its cursor and stops; the read rule's columns are in them, so rows the viewer may not see
-- are skipped without reading the table.
DROP INDEX process_view_submitted;
CREATE INDEX process_view_newest ON process_view (
    submitted_at, id, municipality, visibility, reporter, owner
);
CREATE INDEX process_view_newest_in ON process_view (
    municipality, submitted_at, id, visibility, reporter, owner
);

-- A municipality's processes by audience: the PRIVATE ones a member may see are counted
-- from here, and the status overview reads its cells from here without the table.
CREATE INDEX process_view_audience ON process_view (
    municipality, visibility, closed, phase, status, reporter, owner, id
);
