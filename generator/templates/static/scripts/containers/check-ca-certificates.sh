#!/usr/bin/env bash
# Runs inside the init-tools container from step 45 of ./init-deployment.sh: every
# /etc/plz/ssl/ca-certificates/*.crt must hold PEM certificates. Prints one line per file on
# stdout, `<file>: <subject of its first certificate>` (and how many it holds when more than one);
# exit status 1 names the bad ones on stderr.
set -Eeuo pipefail
shopt -s nullglob
status=0
for certificate in /etc/plz/ssl/ca-certificates/*.crt; do
  name=${certificate##*/}
  if ! subject=$(openssl x509 -in "$certificate" -noout -subject 2>/dev/null); then
    printf 'ssl/ca-certificates/%s is not a PEM certificate\n' "$name" >&2
    status=1
    continue
  fi
  count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$certificate" || true)
  extra=''
  ((count > 1)) && extra=" (and $((count - 1)) more certificate(s) in the file)"
  printf '%s: %s%s\n' "$name" "$subject" "$extra"
done
exit "$status"
