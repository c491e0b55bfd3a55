#!/usr/bin/env bash
# Prepares this plz deployment for `docker compose up -d --wait --remove-orphans`. Needs only bash
# and Docker: the tools it needs beyond them (psql, openssl, mc) run in containers of the
# deployment's own images.
# Safe to run again at any time, also on a running deployment: it is the upgrade path too.
set -Eeuo pipefail
on_error() {
  printf 'plz init: error: %s:%s: %s (exit status %s)\n' "$2" "$3" "$4" "$1" >&2
}
trap 'on_error "$?" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND"' ERR

usage() {
  cat <<'USAGE'
Usage: ./init-deployment.sh [options]

Prepares this deployment: secrets (.env, secrets/), TLS, PostgreSQL roles and databases, MinIO
buckets and accounts, the first admin API token and the systemd unit. Every step checks before it
changes anything, so running it again changes nothing unless an option asks for it.

Options:
  --enable-nginx-ssl       serve HTTPS with ssl/nginx/server.crt and server.key
  --disable-nginx-ssl      serve plain HTTP (refused when NGINX's bind address is not loopback,
                           unless the deployment allows it: yo plz-deploy --allow-plain-http)
  --enable-postgres-ssl    let PostgreSQL accept TLS with ssl/db/server.crt and server.key
  --disable-postgres-ssl   turn PostgreSQL's TLS off
  --rotate-secrets         replace the service passwords and keys (database, Redis, MinIO) and
                           the browser session secret (everyone logs in again); the admin API
                           token is kept (revoke tokens through the REST API)
  --worker-host-bundle NAME
                           (a deployment with worker hosts: yo plz-deploy --worker-hosts) give the
                           worker host NAME its own credentials, unless it has them, and write its
                           join bundle worker-hosts/NAME.bundle (mode 0600: carry it to that host
                           over a safe channel; it holds secrets)
  --revoke-worker-host NAME
                           remove worker host NAME's credentials from Redis, PostgreSQL, MinIO and
                           NGINX, ending its open connections at once, and delete its bundle
  -h, --help               print this help

TLS choices are remembered in .env: a later run without these options keeps them.
Then start the deployment with `docker compose up -d --wait --remove-orphans` (or the systemd
unit, see DEPLOYMENT.md); --remove-orphans removes the workers the generator no longer writes.
USAGE
}

export PLZ_INIT_NGINX_SSL="" PLZ_INIT_POSTGRES_SSL="" PLZ_INIT_ROTATE_SECRETS=""
export PLZ_INIT_WORKER_HOST_BUNDLE="" PLZ_INIT_REVOKE_WORKER_HOST=""
# worker_host_name OPTION VALUE: VALUE if it is a worker host's name (scripts/lib/worker-hosts.sh), else exit 2.
worker_host_name() {
  if [[ ! ${2:-} =~ ^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$ ]]; then
    printf 'plz init: %s needs a worker host name: 1-32 lower-case letters, digits and "-", starting with a letter (got "%s")\n' "$1" "${2:-}" >&2
    exit 2
  fi
  printf '%s' "$2"
}
while (($# > 0)); do
  case $1 in
    --worker-host-bundle) PLZ_INIT_WORKER_HOST_BUNDLE=$(worker_host_name "$1" "${2:-}"); shift ;;
    --revoke-worker-host) PLZ_INIT_REVOKE_WORKER_HOST=$(worker_host_name "$1" "${2:-}"); shift ;;
    --enable-nginx-ssl) PLZ_INIT_NGINX_SSL=on ;;
    --disable-nginx-ssl) PLZ_INIT_NGINX_SSL=off ;;
    --enable-postgres-ssl) PLZ_INIT_POSTGRES_SSL=on ;;
    --disable-postgres-ssl) PLZ_INIT_POSTGRES_SSL=off ;;
    --rotate-secrets) PLZ_INIT_ROTATE_SECRETS=1 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'plz init: unknown option "%s" (see --help)\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ -n $PLZ_INIT_WORKER_HOST_BUNDLE$PLZ_INIT_REVOKE_WORKER_HOST && ! -f envs/worker-hosts.env ]]; then
  printf 'plz init: this deployment has no worker hosts: run yo plz-deploy --worker-hosts in this folder first (DEPLOYMENT.md); nothing was changed\n' >&2
  exit 2
fi
if [[ -n $PLZ_INIT_WORKER_HOST_BUNDLE && $PLZ_INIT_WORKER_HOST_BUNDLE == "$PLZ_INIT_REVOKE_WORKER_HOST" ]]; then
  printf 'plz init: --worker-host-bundle and --revoke-worker-host name the same host; nothing was changed\n' >&2
  exit 2
fi
for step in scripts/init/[0-9][0-9]-*.sh; do
  name=$(basename "$step" .sh)
  printf 'plz init: -- %s\n' "$name" >&2
  if ! "./$step"; then
    printf 'plz init: step %s failed, the steps after it did not run: fix the cause and run ./init-deployment.sh again\n' "$name" >&2
    exit 1
  fi
done

# shellcheck source=envs/deployment.env
source envs/deployment.env
printf '\nplz init: done. Start the deployment with:\n  %s up -d --wait --remove-orphans\n' "$PLZ_COMPOSE_COMMAND" >&2
# Where researchers reach it: HTTPS when init left it on (PLZ_NGINX_SITE in .env).
url=$PLZ_HTTP_URL
grep -qx 'PLZ_NGINX_SITE=https' .env 2>/dev/null && url=$PLZ_HTTPS_URL
printf '\nResearchers then install the plz CLI served by this deployment (Node.js 24, or 22.13 and later) and log in:\n  npm install -g %s/downloads/plz.tgz\n  plz login %s\n' "$url" "$url" >&2
