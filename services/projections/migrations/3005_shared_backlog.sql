-- Another municipality's backlog as a partner reads it: by priority score only, never by
-- the owner's explicit ranking, which partners may not read (queries.rs,
-- SHARED_BACKLOG_KEY). Valid SQL for both SQLite and PostgreSQL. Like process_view_backlog,
-- a page walks this index from its cursor and stops, and the read rule's columns are in it.
CREATE INDEX process_view_shared_backlog ON process_view (
    municipality, closed, (-score), id, visibility, reporter, owner
);
