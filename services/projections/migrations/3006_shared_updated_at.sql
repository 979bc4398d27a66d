-- The time of the last change partners can see, beside `updated_at`, the time of the last
-- change of any kind: a partner reads this one as the process's `updatedAt`, so that an edit
-- of what only the owner sees (people, internal notes, departments) does not show as a new
-- time (process_views.rs). Valid SQL for both SQLite and PostgreSQL.
--
-- Nullable only for the upsert, which writes NULL to keep a row's own time: the projection
-- writes it with every new row. Rows projected before it start from `updated_at`, which is
-- no earlier than the last change partners saw (replaying the events gives the exact time).
ALTER TABLE process_view ADD COLUMN shared_updated_at TEXT;
UPDATE process_view SET shared_updated_at = updated_at;
