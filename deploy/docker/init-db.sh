#!/bin/sh
# The database and its login roles (see deploy/local/postgres.py, which makes the same ones):
# the schema owner runs migrations, each service logs in as its own role and gets only what
# the migrations grant it; `los_app`, once shared by every service, stays without login so
# that older migrations' grants to it still apply. Safe to run again.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_app') THEN CREATE ROLE los_app; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_owner') THEN CREATE ROLE los_owner; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_coordinator') THEN CREATE ROLE los_coordinator; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_disclosure') THEN CREATE ROLE los_disclosure; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_console') THEN CREATE ROLE los_console; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_audit') THEN CREATE ROLE los_audit; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'los_pseudonyms') THEN CREATE ROLE los_pseudonyms; END IF;
END \$\$;
ALTER ROLE los_app NOLOGIN;
ALTER ROLE los_owner LOGIN CREATEDB PASSWORD '${LOS_OWNER_DB_PASSWORD}';
ALTER ROLE los_coordinator LOGIN PASSWORD '${LOS_COORDINATOR_DB_PASSWORD}';
ALTER ROLE los_disclosure LOGIN PASSWORD '${LOS_DISCLOSURE_DB_PASSWORD}';
ALTER ROLE los_console LOGIN PASSWORD '${LOS_CONSOLE_DB_PASSWORD}';
ALTER ROLE los_audit LOGIN PASSWORD '${LOS_AUDIT_DB_PASSWORD}';
ALTER ROLE los_pseudonyms LOGIN PASSWORD '${LOS_PSEUDONYMS_DB_PASSWORD}';
SELECT 'CREATE DATABASE los OWNER los_owner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'los')\gexec
SQL
