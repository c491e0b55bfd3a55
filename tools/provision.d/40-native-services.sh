# shellcheck shell=bash
# Native servers for integration tests (tools/testkit starts them on loopback ports):
# Debian's PostgreSQL and Redis, the MinIO built above, and MLflow in a Python virtual environment.
step "mlflow $MLFLOW_VERSION virtualenv"
venv="$PLZ_TOOLS_DIR/venv/mlflow-$MLFLOW_VERSION"
if [ -x "$venv/bin/mlflow" ] && "$venv/bin/python" -c 'import mlflow, psycopg2, boto3' 2>/dev/null; then
  step_skip "already installed"
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "mlflow==$MLFLOW_VERSION" "psycopg2-binary==$PSYCOPG2_VERSION" "boto3==$BOTO3_VERSION"
  step_done "$("$venv/bin/mlflow" --version)"
fi

step "test services manifest"
manifest="$PLZ_TOOLS_DIR/manifest.env"
pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
[ -x "$pg_bin/postgres" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
content="POSTGRES_BIN_DIR=$pg_bin
REDIS_SERVER=$(command -v redis-server)
MINIO=$PLZ_TOOLS_DIR/bin/minio-$MINIO_MODULE_VERSION/minio
MC=$PLZ_TOOLS_DIR/bin/mc-$MC_MODULE_VERSION/mc
MLFLOW=$venv/bin/mlflow"
if [ -f "$manifest" ] && [ "$(cat "$manifest")" = "$content" ]; then
  step_skip "unchanged"
else
  printf '%s\n' "$content" > "$manifest"
  step_done "$manifest"
fi
