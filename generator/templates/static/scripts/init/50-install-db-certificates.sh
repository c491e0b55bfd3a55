#!/usr/bin/env bash
# Step 50: when PostgreSQL's TLS is on, puts ssl/db/server.crt and server.key (with worker hosts:
# ssl/worker-hosts/'s) into the db-tls
# volume, owned by the postgres user with the key at mode 0600 (PostgreSQL refuses others), and
# makes a running database reload them. Copies only what differs.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

[[ $(plz_env_get PLZ_POSTGRES_SSL) == on ]] || exit 0

# With worker hosts, the worker-hosts certificate (step 47), which they verify.
source_folder=db
[[ -f envs/worker-hosts.env ]] && source_folder=worker-hosts
result=$(plz_compose run --rm --no-deps -T init-tools /etc/plz/scripts/install-db-certificates.sh "$source_folder")
if [[ $result == installed ]]; then
  plz_log "installed ssl/$source_folder/server.crt and server.key into the db-tls volume"
  if [[ -n $(plz_compose ps --status running --quiet db) ]]; then
    plz_compose exec -T db psql -X -q -U postgres -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
    plz_log "PostgreSQL reloaded its certificate"
  fi
fi
