# shellcheck shell=bash
# Shared helpers of the repository's tools (provisioning, image builds, tests). Source it.
# Every step prints one line when it starts and one with its duration when it ends.

PLZ_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PLZ_TOOLS_DIR=${PLZ_TOOLS_DIR:-/opt/plz-tools}
export PLZ_REPO_ROOT PLZ_TOOLS_DIR
# shellcheck source=tools/versions.env
. "$PLZ_REPO_ROOT/tools/versions.env"

# The engine's own client: Debian's /usr/bin/docker matches the engine that tools/provision
# installs, while a newer client may sit earlier on PATH. Compose calls `docker` from PATH too,
# so a shim folder that holds only that client goes first.
PLZ_SHIMS="$PLZ_TOOLS_DIR/shims"
if [ -x /usr/bin/docker ] && [ -d "$PLZ_SHIMS" ]; then
  case ":$PATH:" in *":$PLZ_SHIMS:"*) ;; *) PATH="$PLZ_SHIMS:$PATH" ;; esac
  export PATH
fi

_plz_step_name=""
_plz_step_start=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# step NAME: announce a step; `step_done` (or `step_skip REASON`) closes it with its duration.
step() {
  _plz_step_name=$1
  _plz_step_start=$(date +%s.%N)
  log "==> $_plz_step_name"
}
_elapsed() { awk -v s="$_plz_step_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
step_done() { log "<== $_plz_step_name: done in $(_elapsed) s${1:+ ($1)}"; }
step_skip() { log "<== $_plz_step_name: skipped in $(_elapsed) s ($1)"; }

# on_error: an ERR trap that names the failing file, line and step.
on_error() {
  local code=$? line=${BASH_LINENO[0]} file=${BASH_SOURCE[1]:-?}
  log "FAILED (exit $code) at $file:$line${_plz_step_name:+ in step \"$_plz_step_name\"}"
  exit "$code"
}

docker_answers() { timeout 10 /usr/bin/docker info >/dev/null 2>&1; }
image_exists() { /usr/bin/docker image inspect "$1" >/dev/null 2>&1; }
