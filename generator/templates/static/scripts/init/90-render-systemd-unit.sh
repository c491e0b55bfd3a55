#!/usr/bin/env bash
# Step 90: renders systemd/<slug>.service from systemd/deployment.service.template for this
# folder: its path, the compose command (first word as an absolute path) and the mounts it needs.
# Writes the file only when its content changes.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

template=systemd/deployment.service.template
unit="systemd/$PLZ_DEPLOYMENT_SLUG.service"

read -r -a compose_words <<<"$PLZ_COMPOSE_COMMAND"
compose_words[0]=$(command -v "${compose_words[0]}")
mounts="$PLZ_DEPLOYMENT_DIR"
[[ -n $PLZ_DATASETS_DIRECTORY ]] && mounts+=" $PLZ_DATASETS_DIRECTORY"
[[ -n $PLZ_SYSTEMD_REQUIRED_MOUNTS ]] && mounts+=" $PLZ_SYSTEMD_REQUIRED_MOUNTS"

content=$(<"$template")
content=${content//@DEPLOYMENT_DIR@/$PLZ_DEPLOYMENT_DIR}
content=${content//@COMPOSE@/${compose_words[*]}}
content=${content//@REQUIRES_MOUNTS@/$mounts}

if [[ ! -f $unit || $(<"$unit") != "$content" ]]; then
  (umask 022 && printf '%s\n' "$content" >"$unit")
  plz_log "wrote $unit (install: sudo cp $unit /etc/systemd/system/ && sudo systemctl enable --now $PLZ_DEPLOYMENT_SLUG)"
fi
