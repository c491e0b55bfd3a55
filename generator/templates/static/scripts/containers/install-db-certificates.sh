#!/usr/bin/env bash
# Runs inside the init-tools container (postgres image) from step 50 of ./init-deployment.sh:
# copies /etc/plz/ssl/NAME/server.crt and server.key (NAME: db, or worker-hosts for a deployment
# with worker hosts) into the db-tls volume (/etc/plz/db-tls) when
# they differ, owned by the postgres user, the key at mode 0600 as PostgreSQL demands.
# Prints "installed" or "unchanged".
set -Eeuo pipefail
source=/etc/plz/ssl/${1:-db}
target=/etc/plz/db-tls
changed=0
for file in server.crt server.key; do
  if ! cmp -s "$source/$file" "$target/$file"; then
    install -o postgres -g postgres -m 0600 "$source/$file" "$target/$file"
    changed=1
  fi
done
chmod 0644 "$target/server.crt"
if ((changed == 1)); then echo installed; else echo unchanged; fi
