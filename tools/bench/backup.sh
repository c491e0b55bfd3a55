#!/usr/bin/env bash
# Times scripts/backup.sh and scripts/restore.sh of a deployment whose MinIO holds N GiB: generates
# a deployment (its own name and image tag), starts it, fills its mlflow bucket with N GiB of
# random bytes (64 MiB objects), backs it up, takes it down with its volumes (`down -v`),
# generates a new folder with the same answers and restores the backup there. Prints each phase's
# seconds and a JSON line; removes everything it made (deployments, volumes, image tags, backup).
# Run from the repository root after `npm ci` and `npx tsc --build`, as a user that can run docker.
#
# Usage: tools/bench/backup.sh [--gib N] [--work DIR]
set -Eeuo pipefail
trap 'printf "bench: error: %s:%s: %s\n" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND" >&2' ERR

gib=1
work=${TMPDIR:-/tmp}
while (($# > 0)); do
  case $1 in
    --gib) gib=$2; shift ;;
    --work) work=$2; shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $gib =~ ^[0-9]+$ && $gib -ge 1 ]] || { echo "bench: --gib takes a whole number of GiB (1 or more)" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="${PLZ_TOOLS_DIR:-/opt/plz-tools}/shims:$PATH" NO_UPDATE_NOTIFIER=1
slug="plz-bench-backup-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
base=$(mktemp -d "$work/plz-bench-backup-XXXXXX")
chmod 755 "$base"
flags=(--name "$slug" --image-tag "$slug" --cpu-workers 1 --http-port 0 --https-port 0)
log() { printf 'bench: %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# yo, run as root, switches to uid 1000: the folder and a HOME must be writable by that user.
generate() {
  local directory=$1 home
  mkdir -p "$directory"
  chmod 777 "$directory"
  home=$(mktemp -d "$base/home-XXXXXX")
  chmod 777 "$home"
  (cd "$root" && HOME=$home node_modules/.bin/yo plz-deploy "$directory" --skip-prompts "${flags[@]}" >"$base/yo.log" 2>&1) || { cat "$base/yo.log" >&2; return 1; }
  cp "$root"/ssl/ca-certificates/*.crt "$directory/ssl/ca-certificates/" 2>/dev/null || true
}

cleanup() {
  local network
  network=$(docker network ls --no-trunc --filter "name=^$slug-jobs\$" --format '{{.ID}}')
  for directory in "$base/restored" "$base/deployment"; do
    if [[ -f $directory/docker-compose.yml ]]; then
      (cd "$directory" && docker compose --profile init down -v --remove-orphans >/dev/null 2>&1) || true
    fi
  done
  # The jobs network is the worker's, with a host rule that closes its bridge (services/worker/README.md).
  if [[ -n $network ]]; then
    docker run --rm --network host --cap-add NET_ADMIN --user 0:0 --entrypoint sh "plz-worker:$slug" -c \
      "for ipt in iptables-nft iptables-legacy; do while \$ipt -w -D INPUT -i br-${network:0:12} -j DROP 2>/dev/null; do :; done; done" || true
    docker network rm "$network" >/dev/null 2>&1 || true
  fi
  docker image rm "plz-restapi:$slug" "plz-worker:$slug" "plz-mlflow:$slug" >/dev/null 2>&1 || true
  rm -rf "$base"
}
trap cleanup EXIT

log "deployment $slug in $base/deployment"
generate "$base/deployment"
cd "$base/deployment"
./init-deployment.sh >/dev/null 2>&1
docker compose up -d --wait --build >/dev/null 2>&1

started=$(now)
log "filling the mlflow bucket with $gib GiB of random bytes (64 MiB objects)"
docker compose run --rm --no-deps -T --entrypoint /bin/sh minio-init -c "
  set -eu
  i=0
  while [ \$i -lt $((gib * 16)) ]; do
    head -c 67108864 /dev/urandom | mc --config-dir /tmp/mc --quiet pipe plz/mlflow/bench/object-\$i >/dev/null
    i=\$((i + 1))
  done
"
fill_s=$(elapsed "$started")

started=$(now)
scripts/backup.sh "$base/backup" 2>"$base/backup.log"
backup_s=$(elapsed "$started")
backup_buckets_s=$(sed -n 's/.*buckets copied in \([0-9]*\) s.*/\1/p' "$base/backup.log")
backup_manifest_s=$(sed -n 's/.*MANIFEST written in \([0-9]*\) s.*/\1/p' "$base/backup.log")
log "backup: $backup_s s (buckets $backup_buckets_s s, manifest $backup_manifest_s s)"

docker compose --profile init down -v >/dev/null 2>&1
generate "$base/restored"
cd "$base/restored"
started=$(now)
scripts/restore.sh "$base/backup" 2>"$base/restore.log" >/dev/null
restore_s=$(elapsed "$started")
restore_check_s=$(sed -n 's/.*the backup is whole (checked in \([0-9]*\) s).*/\1/p' "$base/restore.log")
restore_buckets_s=$(sed -n 's/.*buckets copied in \([0-9]*\) s.*/\1/p' "$base/restore.log")
log "restore: $restore_s s (manifest check $restore_check_s s, buckets $restore_buckets_s s; the rest: init, pg_restore, up --wait)"

printf '{"gib":%s,"fill_s":%s,"backup_s":%s,"backup_buckets_s":%s,"backup_manifest_s":%s,"restore_s":%s,"restore_check_s":%s,"restore_buckets_s":%s,"backup_s_per_gib":%s,"restore_s_per_gib":%s}\n' \
  "$gib" "$fill_s" "$backup_s" "$backup_buckets_s" "$backup_manifest_s" "$restore_s" "$restore_check_s" "$restore_buckets_s" \
  "$(awk -v t="$backup_s" -v g="$gib" 'BEGIN { printf "%.1f", t / g }')" "$(awk -v t="$restore_s" -v g="$gib" 'BEGIN { printf "%.1f", t / g }')"
