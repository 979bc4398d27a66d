-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d).
-- One database per service, each owned by its own role; the services run their migrations
-- at start-up. DEVELOPMENT passwords: compose only, never in production.

CREATE ROLE innohub_processes LOGIN PASSWORD 'innohub_processes';
CREATE DATABASE innohub_processes OWNER innohub_processes;

CREATE ROLE innohub_projections LOGIN PASSWORD 'innohub_projections';
CREATE DATABASE innohub_projections OWNER innohub_projections;
