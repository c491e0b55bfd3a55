#!/usr/bin/env bash
# Runs inside the init-tools container from step 45 of ./init-deployment.sh: every
# /etc/plz/ssl/ca-certificates/*.crt must hold PEM certificates. Exit status 1 names the bad ones.
set -Eeuo pipefail
shopt -s nullglob
status=0
for certificate in /etc/plz/ssl/ca-certificates/*.crt; do
  if ! openssl x509 -in "$certificate" -noout 2>/dev/null; then
    printf 'ssl/ca-certificates/%s is not a PEM certificate\n' "${certificate##*/}" >&2
    status=1
  fi
done
exit "$status"
