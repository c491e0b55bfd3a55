#!/usr/bin/env bash
# Prepares this plz worker host for `docker compose up -d --wait --remove-orphans`: checks this host
# (Docker, Compose, the NVIDIA driver for GPU workers), records the Docker socket's group, checks
# the CA certificates and that the controller answers over TLS with this host's credentials, and
# renders the systemd unit. Needs only bash and Docker (the checks run in the worker image).
# Safe to run again at any time: it is the upgrade path too.
set -Eeuo pipefail
on_error() {
  printf 'plz init: error: %s:%s: %s (exit status %s)\n' "$2" "$3" "$4" "$1" >&2
}
trap 'on_error "$?" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND"' ERR

usage() {
  cat <<'USAGE'
Usage: ./init-deployment.sh [options]

Prepares this worker host (yo plz-deploy --role worker --join BUNDLE): checks Docker, Compose and
the NVIDIA driver, records the Docker socket's group in .env, checks ssl/ca-certificates/ and the
controller's CA (ssl/controller/ca.crt), checks that the controller answers over TLS with this
host's credentials (secrets/controller.env), and renders the systemd unit. It changes nothing on
the controller: the controller's operator gives and revokes this host's credentials there.

Options:
  -h, --help               print this help
USAGE
}

if (($# > 0)); then
  case $1 in
    -h | --help) usage; exit 0 ;;
    *) printf 'plz init: unknown option "%s" (see --help; a worker host has no TLS or secrets options: they are the controller'"'"'s)\n' "$1" >&2; exit 2 ;;
  esac
fi

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
printf '\nplz init: done. Start the workers of worker host %s with:\n  %s up -d --wait --remove-orphans\n' "$PLZ_WORKER_HOST" "$PLZ_COMPOSE_COMMAND" >&2
printf 'They then appear in "plz workers" of the deployment %s, with host %s.\n' "$PLZ_CONTROLLER_DEPLOYMENT" "$PLZ_WORKER_HOST" >&2
