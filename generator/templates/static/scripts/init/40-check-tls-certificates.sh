#!/usr/bin/env bash
# Step 40: decides the TLS state of NGINX and PostgreSQL and checks their certificates.
# State: the option given now (--enable-/--disable-nginx-ssl, --enable-/--disable-postgres-ssl),
# else the state remembered in .env, else the deployment's default. A certificate or key that is
# missing, unreadable or not matching is an error. The state is written to .env (PLZ_NGINX_SITE,
# PLZ_POSTGRES_SSL, and PLZ_POSTGRES_SSLMODE: the sslmode of the services' database connections,
# require or disable), which docker-compose.yml reads.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# check_pair NAME OPTION: ssl/NAME/server.crt and server.key exist and belong together.
check_pair() {
  local name=$1 option=$2 file
  for file in server.crt server.key; do
    [[ -f ssl/$name/$file ]] ||
      plz_die "TLS is on for $name but ssl/$name/$file is missing: copy it there (see ssl/$name/README.md), or run ./init-deployment.sh $option"
  done
  plz_compose run --rm --no-deps -T init-tools /etc/plz/scripts/check-certificate.sh "$name" ||
    plz_die "the certificate or key in ssl/$name/ cannot be used (see above): replace them, or run ./init-deployment.sh $option"
}

remembered_nginx=$(plz_env_get PLZ_NGINX_SITE)
case $remembered_nginx in https) remembered_nginx=on ;; http) remembered_nginx=off ;; esac
nginx_ssl=${PLZ_INIT_NGINX_SSL:-${remembered_nginx:-$PLZ_DEFAULT_NGINX_SSL}}
postgres_ssl=${PLZ_INIT_POSTGRES_SSL:-$(plz_env_get PLZ_POSTGRES_SSL)}
postgres_ssl=${postgres_ssl:-off}

[[ $nginx_ssl == on ]] && check_pair nginx --disable-nginx-ssl
[[ $postgres_ssl == on ]] && check_pair db --disable-postgres-ssl

site=http
[[ $nginx_ssl == on ]] && site=https
[[ $(plz_env_get PLZ_NGINX_SITE) == "$site" ]] || plz_log "NGINX serves $site (PLZ_NGINX_SITE=$site)"
plz_env_set PLZ_NGINX_SITE "$site"
[[ $(plz_env_get PLZ_POSTGRES_SSL) == "$postgres_ssl" ]] || plz_log "PostgreSQL TLS is $postgres_ssl (PLZ_POSTGRES_SSL=$postgres_ssl)"
plz_env_set PLZ_POSTGRES_SSL "$postgres_ssl"
sslmode=disable
[[ $postgres_ssl == on ]] && sslmode=require
plz_env_set PLZ_POSTGRES_SSLMODE "$sslmode"
