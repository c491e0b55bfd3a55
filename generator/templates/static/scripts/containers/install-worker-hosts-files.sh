#!/usr/bin/env bash
# Runs inside the init-tools container (postgres image: openssl, sha256sum) as root, from
# ./init-deployment.sh, with the worker-hosts volume at /etc/plz/worker-hosts (mounted read-only
# into Redis and NGINX). REDIS_UID is the uid of the redis user of the Redis image.
#   install-worker-hosts-files.sh certificates: copies ssl/worker-hosts/ca.crt, server.crt and
#     server.key in when they differ (the key readable by Redis only; NGINX reads it as root);
#     prints "installed" or "unchanged".
#   install-worker-hosts-files.sh credentials: reads one line `NAME REDIS_PASSWORD MLFLOW_PASSWORD`
#     per worker host on stdin and writes redis-users.acl (the worker hosts' Redis ACL users,
#     SHA-256 of the passwords) and htpasswd (NGINX's Basic users for MLflow, SHA-512 crypt), which
#     hold no password; prints the ACL users' lines on stdout (to apply them to a running Redis).
set -Eeuo pipefail
: "${REDIS_UID:?}"
target=/etc/plz/worker-hosts

# What a worker host may do in Redis: the plz:* keys (BullMQ's queues under plz:bull, heartbeats,
# log streams) and plz:* channels (stop signals); every command but administration and the
# dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG, ACL, SHUTDOWN...), with INFO (ioredis's ready check,
# BullMQ's version check) and CLIENT SETNAME/GETNAME/ID given back.
acl_rules='~plz:* &plz:* +@all -@admin -@dangerous +info +client|setname +client|getname +client|id'

case ${1:-} in
  certificates)
    changed=0
    for file in ca.crt server.crt server.key; do
      if ! cmp -s "/etc/plz/ssl/worker-hosts/$file" "$target/$file"; then
        mode=0644
        [[ $file == server.key ]] && mode=0600
        install -o "$REDIS_UID" -g 0 -m "$mode" "/etc/plz/ssl/worker-hosts/$file" "$target/$file"
        changed=1
      fi
    done
    for file in redis-users.acl htpasswd; do
      [[ -f $target/$file ]] || install -o "$REDIS_UID" -g 0 -m 0644 /dev/null "$target/$file"
    done
    if ((changed == 1)); then echo installed; else echo unchanged; fi
    ;;
  credentials)
    users=$(mktemp)
    passwords=$(mktemp)
    while read -r name redis_password mlflow_password; do
      [[ -n $name ]] || continue
      hash=$(printf '%s' "$redis_password" | sha256sum | cut -d' ' -f1)
      printf 'user plz-host-%s reset on #%s %s\n' "$name" "$hash" "$acl_rules" >>"$users"
      printf 'plz-host-%s:%s\n' "$name" "$(printf '%s\n' "$mlflow_password" | openssl passwd -6 -stdin)" >>"$passwords"
    done
    install -o "$REDIS_UID" -g 0 -m 0644 "$users" "$target/redis-users.acl"
    install -o "$REDIS_UID" -g 0 -m 0644 "$passwords" "$target/htpasswd"
    cat "$users"
    rm -f "$users" "$passwords"
    ;;
  *)
    echo "usage: install-worker-hosts-files.sh certificates|credentials" >&2
    exit 2
    ;;
esac
