#!/bin/sh
# As upstream's: render /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with envsubst,
# substituting only variables that are defined in the environment.
set -e
dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
[ -d "$dir" ] || exit 0
defined=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
find "$dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  rel=${template#"$dir"/}
  target="$out/${rel%"$suffix"}"
  mkdir -p "$(dirname "$target")"
  envsubst "$defined" < "$template" > "$target"
done
