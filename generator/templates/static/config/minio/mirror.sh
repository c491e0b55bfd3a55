#!/bin/sh
# Runs in a one-off container of the minio-init service (minio/mc image, root credentials in
# MC_HOST_plz) for scripts/backup.sh and scripts/restore.sh, with the backup's minio/ folder
# mounted at /backup:
#   mirror.sh backup    every bucket into /backup/<bucket>/
#   mirror.sh restore   every /backup/<bucket>/ into its bucket (created when missing)
# Prints each bucket's name when it is done. mc keeps its configuration in /tmp (the container runs
# as the operator's user, who has no home there).
set -eu
mc_() { mc --config-dir /tmp/mc --quiet --no-color "$@"; }

case ${1:-} in
  backup)
    for bucket in $(mc_ ls --json plz | sed -n 's/.*"key":"\([^"]*\)\/".*/\1/p'); do
      mkdir -p "/backup/$bucket"
      mc_ mirror "plz/$bucket" "/backup/$bucket" >/dev/null
      echo "$bucket"
    done
    ;;
  restore)
    for folder in /backup/*/; do
      [ -d "$folder" ] || continue
      bucket=$(basename "$folder")
      mc_ mb --ignore-existing "plz/$bucket" >/dev/null
      mc_ mirror "/backup/$bucket" "plz/$bucket" >/dev/null
      echo "$bucket"
    done
    ;;
  *)
    echo "usage: mirror.sh backup|restore" >&2
    exit 2
    ;;
esac
