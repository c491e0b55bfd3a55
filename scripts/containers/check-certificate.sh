#!/usr/bin/env bash
# Runs inside the init-tools container (postgres image, which has openssl), from step 40 of
# ./init-deployment.sh: checks that /etc/plz/ssl/NAME/server.crt is a PEM certificate, that
# server.key is an unencrypted PEM private key, and that both hold the same public key.
# Exit status 0 when usable; otherwise 1 with the reason on stderr.
set -Eeuo pipefail
name=${1:?usage: check-certificate.sh nginx|db}
dir=/etc/plz/ssl/$name
certificate=$dir/server.crt
key=$dir/server.key

fail() { printf 'ssl/%s: %s\n' "$name" "$*" >&2; exit 1; }

[[ -r $certificate ]] || fail "server.crt cannot be read"
[[ -r $key ]] || fail "server.key cannot be read"
openssl x509 -in "$certificate" -noout 2>/dev/null || fail "server.crt is not a PEM certificate"
openssl pkey -in "$key" -passin pass: -noout 2>/dev/null ||
  fail "server.key is not a PEM private key, or it is protected by a passphrase (remove it: openssl pkey -in key -out server.key)"

certificate_key=$(openssl x509 -in "$certificate" -noout -pubkey | openssl sha256)
private_key=$(openssl pkey -in "$key" -pubout | openssl sha256)
[[ $certificate_key == "$private_key" ]] || fail "server.key does not belong to server.crt (their public keys differ)"

if ! openssl x509 -in "$certificate" -noout -checkend 0 >/dev/null; then
  printf 'ssl/%s: warning: server.crt has expired (%s)\n' "$name" "$(openssl x509 -in "$certificate" -noout -enddate)" >&2
fi
