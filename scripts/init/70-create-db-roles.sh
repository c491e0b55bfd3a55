#!/usr/bin/env bash
# Step 70: creates (or updates) the PostgreSQL roles and databases of the services, with least
# privilege (config/db/roles.sql). Runs psql in the db container over its local socket; passwords
# go through stdin, never on a command line.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

{
  printf "\\\\set postgres_password '%s'\n" "$(plz_env_get POSTGRES_PASSWORD)"
  printf "\\\\set restapi_password '%s'\n" "$(plz_env_get RESTAPI_DB_PASSWORD)"
  printf "\\\\set worker_password '%s'\n" "$(plz_env_get WORKER_DB_PASSWORD)"
  printf "\\\\set mlflow_password '%s'\n" "$(plz_env_get MLFLOW_DB_PASSWORD)"
  cat config/db/roles.sql
} | plz_compose exec -T db psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -f -
plz_log "PostgreSQL roles restapi, worker, mlflow and their databases are in place"
