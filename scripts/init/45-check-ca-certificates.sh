#!/usr/bin/env bash
# Step 45: checks the extra CA certificates of ssl/ca-certificates/ and says which are in use: every
# *.crt must be a PEM certificate; each is listed with its subject. They are copied into the images
# plz builds (rebuild after a change: `docker compose build`) and mounted into the workers for the
# job image builds and the jobs. Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

shopt -s nullglob
certificates=(ssl/ca-certificates/*.crt)
if ((${#certificates[@]} == 0)); then
  plz_log "no extra CA certificates (ssl/ca-certificates/*.crt): behind a proxy that re-signs TLS, put its root CA there (see DEPLOYMENT.md)"
  exit 0
fi
subjects=$(plz_compose run --rm --no-deps -T init-tools /etc/plz/scripts/check-ca-certificates.sh) ||
  plz_die "ssl/ca-certificates/ holds files that are not PEM certificates (see above): fix or remove them"
plz_log "${#certificates[@]} extra CA certificate(s) in use, trusted by the images plz builds, the job image builds and the jobs:"
while IFS= read -r line; do
  if [[ -n $line ]]; then plz_log "  ssl/ca-certificates/$line"; fi
done <<<"$subjects"
