#!/usr/bin/env bash
# Restores a backup of scripts/backup.sh into this freshly generated deployment folder (this host or
# another) and starts the deployment. Checks the backup against its MANIFEST first (every file
# present with its size and sha256, nothing more) and refuses a corrupt, truncated or partial one
# before changing anything. Then: puts back .env, secrets/, ssl/ (and .yo-rc.json), runs
# ./init-deployment.sh (which starts PostgreSQL and MinIO and creates the roles, empty databases,
# buckets and accounts with the restored secrets), restores both databases (pg_restore) and every
# bucket (mc mirror), and starts everything with `docker compose up -d --wait`.
set -Eeuo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/restore.sh [--check] SRC

Restores the backup in SRC (made by scripts/backup.sh) into this deployment folder, which must be
freshly generated with the backup's answers (its .yo-rc.json) and never initialised (no .env), on
a host without data of a deployment of the same name (no <name>-db-data or <name>-minio-data
volume). Then starts the deployment. See DEPLOYMENT.md, "Backup and restore".

  --check   only check SRC against its MANIFEST (sizes and sha256 of every file); change nothing
USAGE
}

check_only=0
case ${1:-} in
  -h | --help) usage; exit 0 ;;
  --check) check_only=1; shift ;;
esac
case ${1:-} in
  '' | -*) usage >&2; exit 2 ;;
esac
(($# == 1)) || { usage >&2; exit 2; }
# Before common.sh moves into the deployment folder: SRC is relative to where we were called.
src=$(realpath -m -- "$1")

PLZ_LOG_PREFIX='plz restore'
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/backup.sh
source "$PLZ_DEPLOYMENT_DIR/scripts/lib/backup.sh"

started=$(date +%s)
since() { echo "$(($(date +%s) - $1)) s"; }

# 1. Checks, before anything changes.
plz_log "checking $src against its MANIFEST"
plz_backup_verify "$src"
plz_log "the backup is whole (checked in $(since "$started")): $(grep -c '^file ' "$src/MANIFEST") files, made $(plz_backup_field "$src" created) of deployment $(plz_backup_field "$src" deployment) ($(plz_backup_field "$src" generator), plz $(plz_backup_field "$src" plz-version))"
((check_only == 0)) || exit 0

[[ $src != *:* ]] || plz_die "$src holds a colon, which a Docker bind mount cannot take: move or link the backup elsewhere; nothing was changed"
backup_name=$(plz_backup_field "$src" deployment)
[[ $backup_name == "$PLZ_DEPLOYMENT_SLUG" ]] || plz_die "the backup is of the deployment \"$backup_name\", this folder is \"$PLZ_DEPLOYMENT_SLUG\": generate the folder from the backup's answers (copy $src/files/.yo-rc.json into an empty folder and run yo plz-deploy there); nothing was changed"
[[ ! -e $PLZ_ENV_FILE ]] || plz_die "this folder has a .env: it was initialised already. Restore goes into a freshly generated folder (see DEPLOYMENT.md, \"Backup and restore\"); nothing was changed"
for volume in db-data minio-data; do
  if docker volume inspect "$PLZ_DEPLOYMENT_SLUG-$volume" >/dev/null 2>&1; then
    plz_die "the volume $PLZ_DEPLOYMENT_SLUG-$volume exists on this host: it holds data of a deployment named \"$PLZ_DEPLOYMENT_SLUG\", which restore will not overwrite. Remove that deployment first (in its folder: $PLZ_COMPOSE_COMMAND --profile init down -v, which deletes its data) or restore on another host; nothing was changed"
  fi
done
if ! cmp -s -- "$src/files/.yo-rc.json" .yo-rc.json; then
  plz_log "note: this folder's answers (.yo-rc.json) differ from the backup's: keeping this folder's, which its files were generated from; the backup's are in $src/files/.yo-rc.json"
fi

# 2. The deployment's own files. From here on a failure leaves the folder half restored: the way
# back is printed on the way out (EXIT trap).
trap 'plz_log "the restore failed half-way: to start it again, remove what it made in this folder ($PLZ_COMPOSE_COMMAND --profile init down -v; rm .env), fix the cause and run scripts/restore.sh again"' EXIT
cp -p -- "$src/files/.env" .env
rm -rf -- secrets
cp -Rp -- "$src/files/secrets" secrets
cp -Rp -- "$src/files/ssl/." ssl/
# The modes the files had when they were backed up (the backup's copies are private to its owner):
# lines of modes.txt naming .env, secrets/ or ssl/, with an octal mode and no `..`; links are left
# alone. A backup made before modes.txt: the extra CA certificates, public and read by the workers'
# unprivileged user, are made readable again.
if [[ -f $src/modes.txt ]]; then
  while read -r mode path; do
    [[ $mode =~ ^[0-7]{3,4}$ && /$path/ != */../* ]] || continue
    case $path in
      .env | secrets | secrets/* | ssl | ssl/*) [[ ! -e $path || -L $path ]] || chmod -- "$mode" "$path" ;;
    esac
  done <"$src/modes.txt"
elif [[ -d ssl/ca-certificates ]]; then
  chmod -R u=rwX,go=rX -- ssl/ca-certificates
fi
plz_log "put back .env, secrets/ and ssl/ with their modes"
if [[ -f $src/files/docker-compose.override.yml ]]; then
  plz_log "note: the backup holds a docker-compose.override.yml (local changes); copy it back from $src/files/ if it applies on this host"
fi

# 3. Secrets, roles, empty databases, buckets and accounts, with the restored secrets; PostgreSQL
# and MinIO left running.
plz_log "running ./init-deployment.sh"
./init-deployment.sh

# 4. The databases: into the empty databases init just created (pg_restore --clean drops what init
# put there, the worker's grant trigger, to create it again as it was), in one transaction each, as
# the superuser: every object comes back with its owner and grants.
for database in restapi mlflow; do
  step=$(date +%s)
  tables=$(plz_compose exec -T db psql -X -At -U postgres -d "$database" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  [[ $tables == 0 ]] || plz_die "the $database database is not empty ($tables tables): restore goes into a fresh deployment"
  plz_log "restoring the $database database (pg_restore)"
  plz_compose exec -T db pg_restore -U postgres --no-password --dbname="$database" --clean --if-exists --single-transaction --exit-on-error <"$src/db/$database.dump"
  plz_log "  $database restored in $(since "$step")"
done

# 5. The buckets, with mc in the minio-init service's container (root credentials), reading the
# backup through a read-only mount.
step=$(date +%s)
plz_log "copying the buckets back (mc mirror)"
plz_compose run --rm --no-deps -T --user "$(id -u):$(id -g)" --volume "$src/minio:/backup:ro" --entrypoint /bin/sh minio-init /etc/plz/minio/mirror.sh restore | while IFS= read -r bucket; do
  plz_log "  $bucket: $(find "$src/minio/$bucket" -type f | wc -l) objects"
done
plz_log "  buckets copied in $(since "$step")"

# 6. Everything up.
plz_log "starting the deployment ($PLZ_COMPOSE_COMMAND up -d --wait)"
plz_compose up -d --wait
trap - EXIT
plz_log "done in $(since "$started"): the deployment runs with the data of $(plz_backup_field "$src" created)"
