#!/usr/bin/env bash
# Step 10: checks that this host can run the deployment: bash 4+, Docker reachable, Compose v2,
# the deployment's files and its datasets folder.
# Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

((BASH_VERSINFO[0] >= 4)) || plz_die "bash 4 or later is needed (this is bash $BASH_VERSION)"

read -r -a compose_words <<<"$PLZ_COMPOSE_COMMAND"
command -v "${compose_words[0]}" >/dev/null ||
  plz_die "the compose command \"$PLZ_COMPOSE_COMMAND\" is not installed (PLZ_COMPOSE_COMMAND in envs/deployment.env; change it with yo plz-deploy --compose-command)"
command -v docker >/dev/null || plz_die "docker is not installed"
docker info >/dev/null 2>&1 ||
  plz_die "cannot reach the Docker daemon: is it running, and may this user use it (root or the docker group)?"

compose_version=$(plz_compose version --short 2>/dev/null || true)
if [[ ! $compose_version =~ ^v?([0-9]+)\. ]] || ((BASH_REMATCH[1] < 2)); then
  plz_die "\"$PLZ_COMPOSE_COMMAND\" is not Docker Compose v2 (version: ${compose_version:-unknown}); the deployment needs v2 for depends_on conditions and up --wait"
fi

for file in docker-compose.yml envs/deployment.env config/db/roles.sql config/db/pg_hba-ssl-off.conf config/db/pg_hba-ssl-on.conf \
  config/minio/setup.sh; do
  [[ -f $file ]] || plz_die "$file is missing: run yo plz-deploy in this folder again to restore it"
done
# The datasets folder must be there: Docker would otherwise fail to start the workers (or, with a
# short bind syntax, make an empty folder in its place and hide that the data is missing).
if [[ -n $PLZ_DATASETS_DIRECTORY && ! -d $PLZ_DATASETS_DIRECTORY ]]; then
  plz_die "the datasets folder $PLZ_DATASETS_DIRECTORY (PLZ_DATASETS_DIRECTORY in envs/deployment.env) does not exist: mount or restore it, or choose another with yo plz-deploy --datasets-directory (an empty answer for none); nothing was changed"
fi
plz_log "Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), Compose ${compose_version}"
