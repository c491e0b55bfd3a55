# shellcheck shell=bash
# Extra CA certificates: a machine whose outbound TLS is re-signed (here, or behind a company proxy)
# keeps its CA in /usr/local/share/ca-certificates. They go into the repository's default
# deployment folder ssl/ca-certificates/, the deployment's own mechanism, from which every image
# build and container that reaches a registry trusts them.
step "extra CA certificates"
dest="$PLZ_REPO_ROOT/ssl/ca-certificates"
copied=0
shopt -s nullglob
for cert in /usr/local/share/ca-certificates/*.crt; do
  if ! cmp -s "$cert" "$dest/$(basename "$cert")"; then
    install -m 0644 "$cert" "$dest/$(basename "$cert")"
    copied=$((copied + 1))
  fi
done
shopt -u nullglob
if [ "$copied" = 0 ]; then step_skip "nothing new"; else step_done "$copied copied to ssl/ca-certificates/"; fi
