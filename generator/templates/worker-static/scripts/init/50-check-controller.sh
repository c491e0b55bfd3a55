#!/usr/bin/env bash
# Step 50 (worker host): checks that the controller answers over TLS, verified against its CA, with
# this host's credentials: Redis (PING), PostgreSQL (a query, over TLS), MinIO's S3 API and
# MLflow's REST API through its NGINX (scripts/containers/check-controller.cjs, in the worker image,
# with the workers' settings and extra_hosts). Says which fails and why: a name that does not
# resolve (yo plz-deploy --controller-address), a port not reached, a certificate not trusted, or
# credentials refused (revoked on the controller). Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

output=$(plz_compose --profile init run --rm --no-deps -T init-tools controller </dev/null) ||
  plz_die "the controller $PLZ_CONTROLLER_SERVER_NAME does not answer as it should (see above); nothing was changed"
while IFS= read -r line; do
  if [[ -n $line ]]; then plz_log "  $line"; fi
done <<<"$output"
