#!/usr/bin/env bash
# Step 45 (worker host): checks the extra CA certificates of ssl/ca-certificates/ (every *.crt must
# be a PEM certificate; trusted by the worker image build, the job image builds and the jobs) and
# the controller's CA certificate (ssl/controller/ca.crt, from the join bundle), in the worker image
# (scripts/containers/check-controller.cjs). Builds the worker image the first time. Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

output=$(plz_compose --profile init run --rm --no-deps -T init-tools certificates </dev/null) ||
  plz_die "the CA certificates are not usable (see above): fix or remove the files in ssl/ca-certificates/, or run yo plz-deploy --join BUNDLE again for ssl/controller/ca.crt"
while IFS= read -r line; do
  if [[ -n $line ]]; then plz_log "  $line"; fi
done <<<"$output"
