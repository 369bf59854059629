#!/bin/sh
# Creates the two login roles the services use (see deploy/local/postgres.py for why two).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE los_owner LOGIN CREATEDB PASSWORD '${LOS_OWNER_DB_PASSWORD}';
CREATE ROLE los_app LOGIN PASSWORD '${LOS_APP_DB_PASSWORD}';
CREATE DATABASE los OWNER los_owner;
SQL
