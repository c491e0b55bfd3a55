# shellcheck shell=bash
# Debian packages: the Docker engine, debootstrap for the base image, servers for integration
# tests, and the checkers the tests call (shellcheck, systemd-analyze).
step "apt packages"
wanted=(docker.io debootstrap postgresql-15 redis-server shellcheck jq openssl curl ca-certificates git
  chromium iptables systemd)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  step_skip "all ${#wanted[@]} installed"
else
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  step_done "${#missing[@]} installed"
fi
