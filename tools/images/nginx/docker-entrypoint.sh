#!/bin/sh
# As upstream's: when starting nginx, run /docker-entrypoint.d/*.sh in order first.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in /docker-entrypoint.d/*.sh; do
    [ -x "$f" ] && "$f"
  done
fi
exec "$@"
