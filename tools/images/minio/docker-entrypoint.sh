#!/bin/sh
# As upstream's: the arguments are minio's (`server /data ...`) unless they start with `minio`.
set -e
if [ "$1" != minio ]; then
  set -- minio "$@"
fi
exec "$@"
