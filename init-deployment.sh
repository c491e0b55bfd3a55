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
  -h, --help               print this help

TLS choices are remembered in .env: a later run without these options keeps them.
Then start the deployment with `docker compose up -d --wait --remove-orphans` (or the systemd
unit, see DEPLOYMENT.md); --remove-orphans removes the workers the generator no longer writes.
USAGE
}

export PLZ_INIT_NGINX_SSL="" PLZ_INIT_POSTGRES_SSL="" PLZ_INIT_ROTATE_SECRETS=""
while (($# > 0)); do
  case $1 in
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
