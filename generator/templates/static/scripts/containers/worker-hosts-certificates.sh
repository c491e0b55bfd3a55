#!/usr/bin/env bash
# Runs inside the init-tools container (postgres image, which has openssl) as the deployment
# folder's owner, from step 47 of ./init-deployment.sh, with ssl/worker-hosts/ at /etc/plz/out and
# secrets/ at /etc/plz/secrets. Keeps the worker-hosts TLS material:
# - the deployment's own CA (created once): ca.crt in ssl/worker-hosts/, its key in
#   secrets/worker-hosts-ca.key (never leaves the controller);
# - the server certificate of Redis's TLS port, PostgreSQL and NGINX's worker-hosts sites
#   (ssl/worker-hosts/server.crt and server.key), issued by that CA for SUBJECT_ALT_NAMES
#   (`DNS:name,IP:address,...`), again when the names changed, when it expires within 30 days or
#   when the CA does not verify it.
# An operator's own CA works too: put ca.crt, server.crt and server.key there without the CA key;
# they are then checked, never replaced. Prints one line per change on stdout.
set -Eeuo pipefail
: "${SUBJECT_ALT_NAMES:?}" "${COMMON_NAME:?}"
out=/etc/plz/out
ca_key=/etc/plz/secrets/worker-hosts-ca.key
ca=$out/ca.crt
crt=$out/server.crt
key=$out/server.key
umask 077
fail() { printf 'ssl/worker-hosts: %s\n' "$*" >&2; exit 1; }

if [[ ! -f $ca ]]; then
  [[ ! -f $ca_key ]] || fail "secrets/worker-hosts-ca.key is there but ca.crt is not: restore ca.crt, or remove the key to start a new CA (every join bundle must then be written again)"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
    -subj "/CN=plz worker-hosts CA ${COMMON_NAME}" -keyout "$ca_key" -out "$ca.new" \
    -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
  chmod 644 "$ca.new"
  mv "$ca.new" "$ca"
  echo "created the deployment's worker-hosts CA (ssl/worker-hosts/ca.crt; its key in secrets/worker-hosts-ca.key)"
fi
openssl x509 -in "$ca" -noout 2>/dev/null || fail "ca.crt is not a PEM certificate"

reason=''
if [[ ! -f $crt || ! -f $key ]]; then
  reason='none yet'
elif ! openssl verify -CAfile "$ca" "$crt" >/dev/null 2>&1; then
  reason='not issued by ca.crt'
elif ! openssl x509 -in "$crt" -noout -checkend $((30 * 86400)) >/dev/null; then
  reason='expires within 30 days'
elif [[ -f $ca_key && $(cat "$out/server.names" 2>/dev/null) != "$SUBJECT_ALT_NAMES" ]]; then
  reason='the names changed'
fi
if [[ -n $reason ]]; then
  [[ -f $ca_key ]] || fail "server.crt must be replaced ($reason) and the CA key is not here (secrets/worker-hosts-ca.key): issue server.crt and server.key from your CA for $SUBJECT_ALT_NAMES"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${COMMON_NAME}" -keyout "$key.new" -out "$out/server.csr" 2>/dev/null
  openssl x509 -req -in "$out/server.csr" -CA "$ca" -CAkey "$ca_key" -set_serial "0x$(openssl rand -hex 16)" -days 397 -sha256 -out "$crt.new" \
    -extfile <(printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$SUBJECT_ALT_NAMES") 2>/dev/null
  rm -f "$out/server.csr"
  chmod 644 "$crt.new"
  mv "$key.new" "$key"
  mv "$crt.new" "$crt"
  printf '%s' "$SUBJECT_ALT_NAMES" >"$out/server.names"
  chmod 644 "$out/server.names"
  echo "issued the worker-hosts server certificate for $SUBJECT_ALT_NAMES ($reason)"
fi
certificate_key=$(openssl x509 -in "$crt" -noout -pubkey | openssl sha256)
private_key=$(openssl pkey -in "$key" -pubout | openssl sha256)
[[ $certificate_key == "$private_key" ]] || fail "server.key does not belong to server.crt (their public keys differ)"
