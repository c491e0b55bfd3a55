# shellcheck shell=bash
# Node.js set-up shared by tools/test, tools/demo and tools/provision: picks the Node.js to run
# (the one tools/provision installs when the node on PATH is older than the pinned LTS), checks its
# version, installs the workspace from the lockfile (`npm ci`) unless node_modules already matches
# it, and builds. Source tools/lib/common.sh first.

# The LTS the tooling and the images run on (tools/versions.env NODE_VERSION), and where
# tools/provision installs it.
PLZ_NODE_MAJOR=${NODE_VERSION%%.*}
PLZ_NODE_PREFIX="$PLZ_TOOLS_DIR/node-$NODE_VERSION"

# node_major NODE: the major version of NODE (a path, or `node` for the one on PATH); empty when
# there is none.
node_major() {
  "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || true
}

# path_without DIR: $PATH without DIR.
path_without() {
  local dir out=() IFS=:
  for dir in $PATH; do [ "$dir" = "$1" ] || out+=("$dir"); done
  printf '%s' "${out[*]}"
}

# registry_package NAME VERSION DEST: unpacks NAME@VERSION from the npm registry into DEST (without
# the tarball's top folder), after checking the tarball against the registry's sha512 integrity.
# Needs only curl, jq and openssl, so it also works where no Node.js is installed yet.
registry_package() {
  local registry=${npm_config_registry:-${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}} meta tarball integrity file
  meta=$(curl -fsSL --retry 3 "${registry%/}/$1/$2") || die "the npm registry ${registry} has no $1@$2"
  tarball=$(jq -er .dist.tarball <<<"$meta")
  integrity=$(jq -er .dist.integrity <<<"$meta")
  [[ $integrity == sha512-* ]] || die "$1@$2: no sha512 integrity in the registry ($integrity)"
  file=$(mktemp)
  curl -fsSL --retry 3 -o "$file" "$tarball" || { rm -f "$file"; die "downloading $tarball failed"; }
  if [ "sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)" != "$integrity" ]; then
    rm -f "$file"
    die "$tarball does not match the registry's integrity $integrity"
  fi
  mkdir -p "$3"
  tar -xzf "$file" -C "$3" --strip-components=1 --no-same-owner
  rm -f "$file"
}

# use_node: when the node on PATH is missing or older than $PLZ_NODE_MAJOR and tools/provision has
# installed the pinned one, puts that one first on PATH, for this script and everything it starts.
# Native addons (cpu-features, built by node-gyp at `npm ci`) then compile against its own headers
# (include/node in the same folder), not those of a `nodedir` set for the machine's older Node.js.
use_node() {
  local major
  major=$(node_major node)
  if [ "${major:-0}" -lt "$PLZ_NODE_MAJOR" ] && [ -x "$PLZ_NODE_PREFIX/bin/node" ]; then
    PATH="$PLZ_NODE_PREFIX/bin:$PATH"
    npm_config_nodedir=$PLZ_NODE_PREFIX
    export PATH npm_config_nodedir
  fi
}

# require_node: use_node, then fails unless the node on PATH is one the workspace supports
# (package.json engines: ^22.18 || >= 24.11, what yeoman-generator 10 and yeoman-environment 7 need).
require_node() {
  use_node
  command -v node >/dev/null \
    || die "Node.js is not installed: run tools/provision as root (installs Node.js $NODE_VERSION), or install Node.js $PLZ_NODE_MAJOR"
  node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 22 && minor >= 18) || (major === 24 && minor >= 11) || major > 24 ? 0 : 1);
  ' || die "Node.js $(node --version) is too old: plz needs ^22.18 or >= 24.11 (tools/provision, run as root, installs $NODE_VERSION)"
  log "node $(node --version) ($(command -v node)), npm $(npm --version)"
}

npm_install() {
  step "npm ci"
  local stamp="$PLZ_REPO_ROOT/node_modules/.plz-lock-sha256" want
  want=$(sha256sum "$PLZ_REPO_ROOT/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    step_skip "node_modules matches package-lock.json"
  else
    (cd "$PLZ_REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$want" > "$stamp"
    step_done
  fi
}

npm_build() {
  step "build (tsc --build)"
  (cd "$PLZ_REPO_ROOT" && npx --no-install tsc --build)
  step_done
}
