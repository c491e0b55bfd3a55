#!/usr/bin/env bash
# A generated deployment with two CPU workers for developing the fault suite, as
# test/e2e/src/deployment-stack.test.ts brings one up (without its PostgreSQL TLS and datasets):
#   test/faults/scripts/dev-deployment.sh up DIR     generate, init, `up -d --wait --build`
#   test/faults/scripts/dev-deployment.sh down DIR   `down -v`, the jobs network and its host rule
# Then, from the repository root:
#   PLZ_FAULTS_DEPLOYMENT=DIR PLZ_TEST_SERVICES=none node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects @plz/faults
# Needs a built repository (`npx tsc --build`) and the stand-in images (tools/provision).
set -Eeuo pipefail
trap 'printf "dev-deployment: error at %s:%s: %s\n" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() { printf 'usage: %s up|down DIR\n' "$0" >&2; exit 2; }
(($# == 2)) || usage
action=$1
directory=$(realpath -m "$2")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
docker=/usr/bin/docker
[ -x "$docker" ] || docker=docker
export PATH="${PLZ_TOOLS_DIR:-/opt/plz-tools}/shims:$PATH"

slug_of() { sed -n 's/^name: "\(.*\)"$/\1/p' "$directory/docker-compose.yml"; }

case $action in
  up)
    if [ ! -f "$directory/docker-compose.yml" ]; then
      slug="plz-faults-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      # yo, run as root, drops to uid 1000: the folder, its parent and HOME must be open to that user.
      mkdir -p "$directory"
      chmod 0755 "$(dirname "$directory")"
      chmod 0777 "$directory"
      home=$(mktemp -d)
      chmod 0777 "$home"
      (cd "$root" && HOME=$home NO_UPDATE_NOTIFIER=1 node_modules/.bin/yo plz-deploy "$directory" --skip-prompts \
        --name "$slug" --cpu-workers 2 --http-port 0 --https-port 0)
      rm -rf "$home"
    fi
    # As an operator behind a TLS-re-signing proxy would: the machine's extra CAs, for the image builds
    # (tools/provision copies them into the repository's ssl/ca-certificates).
    for ca in "$root"/ssl/ca-certificates/*.crt /usr/local/share/ca-certificates/*.crt; do
      if [ -f "$ca" ]; then cp "$ca" "$directory/ssl/ca-certificates/"; fi
    done
    (cd "$directory" && bash init-deployment.sh)
    (cd "$directory" && "$docker" compose -p "$(slug_of)" up -d --wait --build)
    printf 'dev-deployment: %s is up at http://%s\n' "$(slug_of)" "$(cd "$directory" && "$docker" compose -p "$(slug_of)" port nginx 80)"
    ;;
  down)
    slug=$(slug_of)
    networks=$("$docker" network ls --no-trunc --filter "name=^${slug}-jobs\$" --format '{{.ID}}')
    (cd "$directory" && "$docker" compose -p "$slug" --profile init down -v --remove-orphans) || true
    # The workers' jobs network is not compose's: it goes after compose's down, with the host rule closing it.
    for id in $networks; do
      bridge="br-${id:0:12}"
      "$docker" run --rm --network host --cap-add NET_ADMIN --user 0:0 --entrypoint sh plz-worker:dev -c \
        "for ipt in iptables-nft iptables-legacy; do while \$ipt -w -D INPUT -i $bridge -j DROP 2>/dev/null; do :; done; done"
      "$docker" network rm "$id" >/dev/null
    done
    rm -rf "$directory"
    ;;
  *) usage ;;
esac
