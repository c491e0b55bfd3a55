# shellcheck shell=bash
# Helpers of the worker-hosts steps of ./init-deployment.sh (yo plz-deploy --worker-hosts;
# DEPLOYMENT.md, "Worker hosts"). Sourced after lib/common.sh, not run.

# Whether this deployment has worker hosts: the generator writes envs/worker-hosts.env only then.
plz_worker_hosts_enabled() { [[ -f $PLZ_DEPLOYMENT_DIR/envs/worker-hosts.env ]]; }

# Each worker host's credentials: secrets/worker-hosts/NAME.env (mode 0600), the one record of
# which worker hosts exist; init makes Redis, PostgreSQL, MinIO and NGINX agree with these files.
export PLZ_WORKER_HOSTS_SECRETS_DIR="$PLZ_SECRETS_DIR/worker-hosts"
# Join bundles written for the operator to carry to each worker host (mode 0600, gitignored).
export PLZ_WORKER_HOSTS_BUNDLES_DIR="$PLZ_DEPLOYMENT_DIR/worker-hosts"

# A worker host's name: 1-32 lower-case letters, digits and "-", starting with a letter, not ending
# with "-" (it names the Redis user, PostgreSQL role, MinIO account and MLflow user plz-host-NAME).
plz_valid_worker_host_name() { [[ $1 =~ ^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$ ]]; }

# The names of the worker hosts that have credentials, one per line, sorted.
plz_worker_host_names() {
  local file
  shopt -s nullglob
  for file in "$PLZ_WORKER_HOSTS_SECRETS_DIR"/*.env; do
    file=${file##*/}
    printf '%s\n' "${file%.env}"
  done | LC_ALL=C sort
  shopt -u nullglob
}

# Prints the value of KEY in worker host NAME's credentials file.
plz_worker_host_get() {
  local name=$1 key=$2 line
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$key="* ]]; then
      printf '%s' "${line#"$key="}"
      return 0
    fi
  done <"$PLZ_WORKER_HOSTS_SECRETS_DIR/$name.env"
}

# The uid of the redis user in the Redis image (999 upstream), which must own Redis's TLS key.
# Reads no stdin (it runs inside pipelines that feed other commands).
plz_redis_uid() { plz_compose run --rm --no-deps -T --entrypoint id redis -u redis </dev/null | tr -d '\r'; }
