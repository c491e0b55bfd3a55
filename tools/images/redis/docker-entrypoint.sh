#!/bin/sh
# Entrypoint of the redis stand-in, as upstream's: arguments are passed through to redis-server
# (a first argument that is an option or a .conf file gets `redis-server` put before it),
# protected mode is off unless the arguments set it, and the server runs as the redis user.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  case " $* " in *" --protected-mode "*|*.conf*) ;; *) set -- "$@" --protected-mode no ;; esac
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
