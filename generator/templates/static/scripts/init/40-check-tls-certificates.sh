#!/usr/bin/env bash
# Step 40: decides the TLS state of NGINX and PostgreSQL and checks their certificates.
# State: the option given now (--enable-/--disable-nginx-ssl, --enable-/--disable-postgres-ssl),
# else the state remembered in .env, else the deployment's default. A certificate or key that is
# missing, unreadable or not matching is an error. The state is written to .env (PLZ_NGINX_SITE;
# PLZ_WEB_URL, the deployment's URL by it, for the workers; PLZ_POSTGRES_SSL, and
# PLZ_POSTGRES_SSLMODE: the sslmode of the services' database connections, require or disable),
# which docker-compose.yml reads. Plain HTTP is refused when NGINX's bind
# address is not loopback, unless the deployment allows it (yo plz-deploy --allow-plain-http).
# With worker hosts (envs/worker-hosts.env), PostgreSQL's TLS is on and its certificate is the
# worker-hosts one (step 47), not ssl/db/.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# check_pair NAME ALTERNATIVE: ssl/NAME/server.crt and server.key exist and belong together;
# ALTERNATIVE ends the messages (what to do instead of fixing the files).
check_pair() {
  local name=$1 alternative=$2 file
  for file in server.crt server.key; do
    [[ -f ssl/$name/$file ]] ||
      plz_die "TLS is on for $name but ssl/$name/$file is missing: copy it there (see ssl/$name/README.md)$alternative"
  done
  plz_compose run --rm --no-deps -T init-tools /etc/plz/scripts/check-certificate.sh "$name" ||
    plz_die "the certificate or key in ssl/$name/ cannot be used (see above): replace them$alternative"
}

remembered_nginx=$(plz_env_get PLZ_NGINX_SITE)
case $remembered_nginx in https) remembered_nginx=on ;; http) remembered_nginx=off ;; esac
nginx_ssl=${PLZ_INIT_NGINX_SSL:-${remembered_nginx:-$PLZ_DEFAULT_NGINX_SSL}}
postgres_ssl=${PLZ_INIT_POSTGRES_SSL:-$(plz_env_get PLZ_POSTGRES_SSL)}
postgres_ssl=${postgres_ssl:-off}
# With worker hosts, PostgreSQL's TLS is always on, with the worker-hosts certificate (step 47).
worker_hosts=0
[[ -f envs/worker-hosts.env ]] && worker_hosts=1
if ((worker_hosts == 1)); then
  [[ ${PLZ_INIT_POSTGRES_SSL:-} != off ]] ||
    plz_die "refusing --disable-postgres-ssl: worker hosts reach PostgreSQL over TLS only (yo plz-deploy --worker-hosts); nothing was changed"
  postgres_ssl=on
fi

# Without TLS, API tokens, passwords and session cookies cross the network in clear text: plain HTTP
# only on loopback, or where the operator said the network is trusted.
plain_http_allowed=0
[[ ${PLZ_BIND_LOOPBACK:-no} == yes || ${PLZ_ALLOW_PLAIN_HTTP:-no} == yes ]] && plain_http_allowed=1
if [[ $nginx_ssl == off ]] && ((plain_http_allowed == 0)); then
  why="NGINX publishes its ports on ${PLZ_BIND_ADDRESS:-a network address}, which is not loopback: without HTTPS, API tokens and browser session cookies would cross the network in clear text"
  how="keep HTTPS on (ssl/nginx/server.crt and server.key, see DEPLOYMENT.md), or run yo plz-deploy --bind-address 127.0.0.1 (this machine only) or, on a trusted network, yo plz-deploy --allow-plain-http, then ./init-deployment.sh again; nothing was changed"
  if [[ ${PLZ_INIT_NGINX_SSL:-} == off ]]; then
    plz_die "refusing --disable-nginx-ssl: $why; $how"
  fi
  plz_die "NGINX would serve plain HTTP (PLZ_NGINX_SITE=http in .env): $why; run ./init-deployment.sh --enable-nginx-ssl, or $how"
fi

nginx_alternative=", or run ./init-deployment.sh --disable-nginx-ssl"
((plain_http_allowed == 1)) || nginx_alternative=" (plain HTTP is refused on ${PLZ_BIND_ADDRESS:-this address}, which is not loopback: see DEPLOYMENT.md, Security)"
[[ $nginx_ssl == on ]] && check_pair nginx "$nginx_alternative"
[[ $postgres_ssl == on ]] && ((worker_hosts == 0)) && check_pair db ", or run ./init-deployment.sh --disable-postgres-ssl"

site=http
[[ $nginx_ssl == on ]] && site=https
[[ $(plz_env_get PLZ_NGINX_SITE) == "$site" ]] || plz_log "NGINX serves $site (PLZ_NGINX_SITE=$site)"
plz_env_set PLZ_NGINX_SITE "$site"
# Where browsers reach the deployment by that state (PLZ_HTTPS_URL or PLZ_HTTP_URL of
# envs/deployment.env), for the workers' links from MLflow runs to execution pages (WEB_URL). Left
# empty while the port is one Docker chooses (port 0: no fixed URL); the workers then link by path.
web_url=$PLZ_HTTP_URL
[[ $site == https ]] && web_url=$PLZ_HTTPS_URL
[[ $web_url == *'<port>'* ]] && web_url=''
[[ $(plz_env_get PLZ_WEB_URL) == "$web_url" ]] || plz_log "MLflow runs link to execution pages at ${web_url}/executions/<id> (PLZ_WEB_URL=$web_url)"
plz_env_set PLZ_WEB_URL "$web_url"
[[ $(plz_env_get PLZ_POSTGRES_SSL) == "$postgres_ssl" ]] || plz_log "PostgreSQL TLS is $postgres_ssl (PLZ_POSTGRES_SSL=$postgres_ssl)"
plz_env_set PLZ_POSTGRES_SSL "$postgres_ssl"
sslmode=disable
[[ $postgres_ssl == on ]] && sslmode=require
plz_env_set PLZ_POSTGRES_SSLMODE "$sslmode"
