-- Appends on PostgreSQL run concurrently: each takes the append lock SHARED just before it
-- draws positions from events_position_seq and holds it to its end (store.rs, APPEND_LOCK),
-- so positions may commit out of order. A reader tailing by position asks for the horizon
-- first: this takes the lock EXCLUSIVELY for the moment it reads the sequence, which waits
-- until every append that drew a position before it has committed or rolled back. Every
-- position up to the horizon is then final; later appends draw larger ones.
CREATE FUNCTION events_horizon(append_lock BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(append_lock);
    RETURN (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_position_seq);
END
$$;
