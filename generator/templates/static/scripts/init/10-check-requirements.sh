#!/usr/bin/env bash
# Step 10: checks that this host can run the deployment: bash 4+, Docker reachable, Compose v2,
# the deployment's files and its datasets folder.
# Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

compose_version=$(plz_check_host_tools) || exit 1

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
