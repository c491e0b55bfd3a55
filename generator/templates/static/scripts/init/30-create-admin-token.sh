#!/usr/bin/env bash
# Step 30: creates the first admin's API token once, in secrets/admin-token (0600) and in .env
# (PLZ_ADMIN_TOKEN, which compose hands to the REST API as the admin-token secret), and shows it
# once. An existing token is kept; --rotate-secrets does not replace it (revoke it through the API).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

token_file="$PLZ_SECRETS_DIR/admin-token"
created=0
if [[ -s $token_file ]]; then
  token=$(<"$token_file")
else
  token=$(plz_env_get PLZ_ADMIN_TOKEN)
  if [[ -z $token ]]; then
    token="plz_$(plz_random_secret)"
    created=1
  fi
  printf '%s' "$token" >"$token_file"
  plz_log "wrote secrets/admin-token"
fi
plz_ensure_mode 600 "$token_file"
plz_env_set PLZ_ADMIN_TOKEN "$token"

if ((created == 1)); then
  cat <<MESSAGE

  The first admin API token of this deployment (shown once; kept in secrets/admin-token):

    $token

  Use it with the plz CLI (plz login) or as "Authorization: Bearer <token>" to create users and tokens.

MESSAGE
fi
