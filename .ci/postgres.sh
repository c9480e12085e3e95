#!/usr/bin/env bash
# Start a local PostgreSQL 15 cluster on loopback with a PostGIS-enabled test database.
# Prints the TEST_DATABASE_URL to use.  Idempotent: safe to run again.
set -euo pipefail
# Only the URL goes to stdout: whatever the PostgreSQL tools print (for example "Removed stale pid
# file." when an earlier boot left one behind) goes to stderr, so the caller can capture the URL.
PGVER=15
{
  CLUSTER=main
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^${PGVER} ${CLUSTER} "; then
    pg_createcluster "${PGVER}" "${CLUSTER}" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  if ! pg_lsclusters -h | grep -q "^${PGVER} ${CLUSTER} .* online"; then
    pg_ctlcluster "${PGVER}" "${CLUSTER}" start -o "-c listen_addresses=127.0.0.1"
  fi
  PORT=$(pg_lsclusters -h | awk -v v="${PGVER}" -v c="${CLUSTER}" '$1==v && $2==c {print $3}')
  as_postgres() { su postgres -c "$*"; }
  as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='planner'\" -p ${PORT}" | grep -q 1 \
    || as_postgres "psql -q -p ${PORT} -c \"CREATE ROLE planner LOGIN PASSWORD 'planner' CREATEDB\""
  as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='planner_test'\" -p ${PORT}" | grep -q 1 \
    || as_postgres "createdb -p ${PORT} -O planner planner_test"
  as_postgres "psql -q -p ${PORT} -d planner_test -c 'CREATE EXTENSION IF NOT EXISTS postgis'"
} >&2
echo "postgresql+psycopg://planner:planner@127.0.0.1:${PORT}/planner_test"
