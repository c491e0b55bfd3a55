# shellcheck shell=bash
# Helpers shared by ./init-deployment.sh, its steps (scripts/init/NN-*.sh) and scripts/backup.sh and
# restore.sh. Sourced, not run. Messages start with PLZ_LOG_PREFIX ("plz init" unless the script sets it).
# Needs bash >= 4 and Docker (with Compose v2) on the host; everything else runs in containers.

set -Eeuo pipefail
umask 077
PLZ_LOG_PREFIX=${PLZ_LOG_PREFIX:-plz init}

# The failing file, line and command, for any error in a step (ERR trap; -E passes it to functions).
plz_on_error() {
  local status=$1 file=$2 line=$3 command=$4
  printf '%s: error: %s:%s: %s (exit status %s)\n' "$PLZ_LOG_PREFIX" "$file" "$line" "$command" "$status" >&2
  exit "$status"
}
trap 'plz_on_error "$?" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND"' ERR

PLZ_DEPLOYMENT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PLZ_DEPLOYMENT_DIR
cd "$PLZ_DEPLOYMENT_DIR"

export PLZ_ENV_FILE="$PLZ_DEPLOYMENT_DIR/.env"
export PLZ_SECRETS_DIR="$PLZ_DEPLOYMENT_DIR/secrets"

# shellcheck source-path=SCRIPTDIR source=../../envs/deployment.env
source "$PLZ_DEPLOYMENT_DIR/envs/deployment.env"

# Messages go to stderr, so that steps can print results on stdout.
plz_log() { printf '%s: %s\n' "$PLZ_LOG_PREFIX" "$*" >&2; }
plz_die() { printf '%s: error: %s\n' "$PLZ_LOG_PREFIX" "$*" >&2; exit 1; }

# The compose command of the deployment (PLZ_COMPOSE_COMMAND, e.g. "docker compose"), in this folder.
plz_compose() {
  local -a command
  read -r -a command <<<"$PLZ_COMPOSE_COMMAND"
  "${command[@]}" "$@"
}

# A random secret: 43 letters and digits from the kernel's CSPRNG (about 256 bits). Letters and
# digits only: a secret starting with "-" is read as an option by the tools it is handed to on their
# command line (a base64url secret did one time in 64: mc admin user add took it for a flag).
plz_random_secret() {
  local secret=''
  while ((${#secret} < 43)); do
    secret+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${secret:0:43}"
}

# Prints the value of KEY in .env (empty if absent). Values are written unquoted by plz_env_set.
plz_env_get() {
  local key=$1 line
  [[ -f $PLZ_ENV_FILE ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$key="* ]]; then
      printf '%s' "${line#"$key="}"
      return 0
    fi
  done <"$PLZ_ENV_FILE"
}

# Sets KEY=VALUE in .env, keeping every other line; rewrites the file only when something changes.
plz_env_set() {
  local key=$1 value=$2 line found=0 changed=0
  local -a lines=()
  if [[ -f $PLZ_ENV_FILE ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      if [[ $line == "$key="* ]]; then
        found=1
        [[ $line == "$key=$value" ]] || changed=1
        lines+=("$key=$value")
      else
        lines+=("$line")
      fi
    done <"$PLZ_ENV_FILE"
  fi
  if ((found == 0)); then
    lines+=("$key=$value")
    changed=1
  fi
  ((changed == 1)) || return 0
  local temporary="$PLZ_ENV_FILE.tmp.$$"
  printf '%s\n' "${lines[@]}" >"$temporary"
  chmod 600 "$temporary"
  mv -f "$temporary" "$PLZ_ENV_FILE"
}

# Sets the mode of PATH to MODE (octal) unless it already has it.
plz_ensure_mode() {
  local mode=$1 path=$2
  if [[ $(stat -c '%a' "$path") != "$mode" ]]; then
    chmod "$mode" "$path"
    plz_log "mode of ${path#"$PLZ_DEPLOYMENT_DIR/"} set to $mode"
  fi
}

# Checks the tools every folder's steps need (step 10 of a controller and of a worker host): bash 4+,
# the compose command and docker installed, the Docker daemon reachable by this user, Compose v2
# (depends_on conditions and up --wait). Prints Compose's version (such as v2.40.3); exits with the
# reason otherwise. Use: compose_version=$(plz_check_host_tools) || exit 1
plz_check_host_tools() {
  ((BASH_VERSINFO[0] >= 4)) || plz_die "bash 4 or later is needed (this is bash $BASH_VERSION)"
  local compose_words compose_version
  read -r -a compose_words <<<"$PLZ_COMPOSE_COMMAND"
  command -v "${compose_words[0]}" >/dev/null ||
    plz_die "the compose command \"$PLZ_COMPOSE_COMMAND\" is not installed (PLZ_COMPOSE_COMMAND in envs/deployment.env; change it with yo plz-deploy --compose-command)"
  command -v docker >/dev/null || plz_die "docker is not installed"
  docker info >/dev/null 2>&1 ||
    plz_die "cannot reach the Docker daemon: is it running, and may this user use it (root or the docker group)?"
  compose_version=$(plz_compose version --short 2>/dev/null || true)
  if [[ ! $compose_version =~ ^v?([0-9]+)\. ]] || ((BASH_REMATCH[1] < 2)); then
    plz_die "\"$PLZ_COMPOSE_COMMAND\" is not Docker Compose v2 (version: ${compose_version:-unknown}); the deployment needs v2 for depends_on conditions and up --wait"
  fi
  printf '%s\n' "$compose_version"
}
