-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d).
-- One database per service, each owned by its own role; the services run their migrations
-- at start-up. DEVELOPMENT passwords: compose only, never in production.
-- A volume initialised before a database was added here lacks it: run its two statements
-- by hand (docker compose exec postgres psql -U postgres), or start over with `down -v`.

CREATE ROLE innohub_processes LOGIN PASSWORD 'innohub_processes';
CREATE DATABASE innohub_processes OWNER innohub_processes;

CREATE ROLE innohub_projections LOGIN PASSWORD 'innohub_projections';
CREATE DATABASE innohub_projections OWNER innohub_projections;

CREATE ROLE innohub_directory LOGIN PASSWORD 'innohub_directory';
CREATE DATABASE innohub_directory OWNER innohub_directory;

CREATE ROLE innohub_ideas LOGIN PASSWORD 'innohub_ideas';
CREATE DATABASE innohub_ideas OWNER innohub_ideas;

CREATE ROLE innohub_pilots LOGIN PASSWORD 'innohub_pilots';
CREATE DATABASE innohub_pilots OWNER innohub_pilots;

CREATE ROLE innohub_funding LOGIN PASSWORD 'innohub_funding';
CREATE DATABASE innohub_funding OWNER innohub_funding;
