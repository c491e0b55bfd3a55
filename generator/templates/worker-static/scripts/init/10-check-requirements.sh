#!/usr/bin/env bash
# Step 10 (worker host): checks that this host can run its workers: bash 4+, Docker reachable,
# Compose v2, the folder's files, its datasets folder, and this host's credentials from the join
# bundle (secrets/controller.env, mode 0600, and the controller's CA in ssl/controller/ca.crt).
# Changes nothing but the mode of secrets/ and secrets/controller.env when it is too open.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

compose_version=$(plz_check_host_tools) || exit 1

for file in docker-compose.yml envs/deployment.env envs/worker.env envs/queue.env scripts/containers/check-controller.cjs; do
  [[ -f $file ]] || plz_die "$file is missing: run yo plz-deploy in this folder again to restore it"
done
for file in secrets/controller.env ssl/controller/ca.crt; do
  [[ -f $file ]] || plz_die "$file is missing: it comes from the join bundle: run yo plz-deploy --join BUNDLE in this folder again (a new bundle from the controller: ./init-deployment.sh --worker-host-bundle $PLZ_WORKER_HOST there)"
done
plz_ensure_mode 700 secrets
plz_ensure_mode 600 secrets/controller.env
# The datasets folder must be there: Docker would otherwise fail to start the workers.
if [[ -n $PLZ_DATASETS_DIRECTORY && ! -d $PLZ_DATASETS_DIRECTORY ]]; then
  plz_die "the datasets folder $PLZ_DATASETS_DIRECTORY (PLZ_DATASETS_DIRECTORY in envs/deployment.env) does not exist: mount or restore it, or choose another with yo plz-deploy --datasets-directory (an empty answer for none); nothing was changed"
fi
plz_log "Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), Compose ${compose_version}; worker host $PLZ_WORKER_HOST of $PLZ_CONTROLLER_DEPLOYMENT"
