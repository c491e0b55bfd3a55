#!/usr/bin/env bash
# Step 47 (a deployment with worker hosts only: envs/worker-hosts.env): keeps the TLS material that
# worker hosts verify. The deployment's own CA is created once (ssl/worker-hosts/ca.crt, its key in
# secrets/worker-hosts-ca.key); the server certificate of Redis's TLS port, PostgreSQL and NGINX's
# worker-hosts sites (ssl/worker-hosts/server.crt, server.key) is issued by it for the server name
# and address, and again when they change or it nears its end
# (scripts/containers/worker-hosts-certificates.sh). Then installs them into the worker-hosts
# volume, the key readable by Redis only, and makes a running Redis and NGINX load them.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/worker-hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/worker-hosts.sh"

plz_worker_hosts_enabled || exit 0
# shellcheck source=/dev/null
source envs/worker-hosts.env

if [[ ! -d ssl/worker-hosts ]]; then
  mkdir -m 755 ssl/worker-hosts
fi
# As the folder's owner, so that the files stay the operator's.
plz_compose run --rm --no-deps -T --user "$(id -u):$(id -g)" \
  -v "$PLZ_DEPLOYMENT_DIR/ssl/worker-hosts:/etc/plz/out" -v "$PLZ_SECRETS_DIR:/etc/plz/secrets" \
  -e SUBJECT_ALT_NAMES="$PLZ_WORKER_HOSTS_SUBJECT_ALT_NAMES" -e COMMON_NAME="$PLZ_WORKER_HOSTS_SERVER_NAME" \
  init-tools /etc/plz/scripts/worker-hosts-certificates.sh |
  while IFS= read -r line; do plz_log "$line"; done
[[ ! -f $PLZ_SECRETS_DIR/worker-hosts-ca.key ]] || plz_ensure_mode 600 "$PLZ_SECRETS_DIR/worker-hosts-ca.key"

result=$(plz_compose run --rm --no-deps -T -e REDIS_UID="$(plz_redis_uid)" init-tools /etc/plz/scripts/install-worker-hosts-files.sh certificates)
if [[ $result == installed ]]; then
  plz_log "installed the worker-hosts certificate into the worker-hosts volume"
  if [[ -n $(plz_compose ps --status running --quiet redis) ]]; then
    plz_compose exec -T redis redis-cli CONFIG SET tls-cert-file /etc/plz/worker-hosts/server.crt >/dev/null
    plz_log "Redis loaded the new certificate"
  fi
  if [[ -n $(plz_compose ps --status running --quiet nginx) ]]; then
    plz_compose exec -T nginx nginx -s reload >/dev/null 2>&1
    plz_log "NGINX loaded the new certificate"
  fi
fi
