#!/usr/bin/env bash
# Entrypoint of the postgres stand-in, behaving like upstream's where deployments rely on it:
# POSTGRES_USER, POSTGRES_PASSWORD(_FILE), POSTGRES_DB, POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD,
# and /docker-entrypoint-initdb.d/*.sh|*.sql run once, when the data folder is first initialised.
set -Eeuo pipefail

file_env() { # VAR: VAR or the content of the file named by VAR_FILE
  local var=$1 file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2; exit 1
  fi
  if [ -n "${!file_var:-}" ]; then export "$var"="$(< "${!file_var}")"; fi
}

wants_help() { local a; for a; do case $a in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac; done; return 1; }

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && ! wants_help "$@"; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER
  file_env POSTGRES_DB
  : "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
      cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust.
MSG
      exit 1
    fi
    pwfile=$(mktemp)
    printf '%s' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
    # Initialise on the socket only, as upstream does, then run the init scripts.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
    export PGPASSWORD="${POSTGRES_PASSWORD:-}"
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ "$POSTGRES_DB" != postgres ]; then
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case $f in
        *.sh) echo "$0: running $f"; if [ -x "$f" ]; then "$f"; else # shellcheck disable=SC1090
          . "$f"; fi ;;
        *.sql) echo "$0: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f"; echo ;;
        *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB"; echo ;;
        */\*) ;;
        *) echo "$0: ignoring $f" ;;
      esac
    done
    unset PGPASSWORD
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo 'PostgreSQL init process complete; ready for start up.'
  fi
  exec postgres -c listen_addresses='*' "${@:2}"
fi
exec "$@"
