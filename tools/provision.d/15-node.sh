# shellcheck shell=bash
# Node.js: the LTS pinned in tools/versions.env (NODE_VERSION, with npm NPM_VERSION), for machines
# whose Node.js is older (Debian 12 ships 18; Node.js 20 reached end of life on 2026-04-30).
# Installed under $PLZ_TOOLS_DIR/node-$NODE_VERSION with the layout of Node's own tarball (bin/node,
# bin/npm, bin/npx, lib/node_modules/npm), from the npm registry's packages node-linux-<arch> (real
# binaries) and npm, each checked against the registry's sha512. tools/lib/node.sh puts its bin/
# first on PATH whenever the node on PATH is older. A node on PATH of that major or later is used as is.
# shellcheck source=tools/lib/node.sh
. "$PLZ_REPO_ROOT/tools/lib/node.sh"
step "node $NODE_VERSION"
node_stamp="node $NODE_VERSION npm $NPM_VERSION"
system_major=$(PATH=$(path_without "$PLZ_NODE_PREFIX/bin") node_major node)
if [ "$(cat "$PLZ_NODE_PREFIX/.stamp" 2>/dev/null)" = "$node_stamp" ] && [ "$(node_major "$PLZ_NODE_PREFIX/bin/node")" = "$PLZ_NODE_MAJOR" ]; then
  step_skip "already installed in $PLZ_NODE_PREFIX"
elif [ "${system_major:-0}" -ge "$PLZ_NODE_MAJOR" ]; then
  step_skip "node $(PATH=$(path_without "$PLZ_NODE_PREFIX/bin") node --version) on PATH is current"
else
  case $(uname -m) in
    x86_64) node_arch=x64 ;;
    aarch64) node_arch=arm64 ;;
    *) die "no node-linux-* package for $(uname -m)" ;;
  esac
  node_stage="$PLZ_NODE_PREFIX.partial"
  rm -rf "$node_stage"
  registry_package "node-linux-$node_arch" "$NODE_VERSION" "$node_stage"
  registry_package npm "$NPM_VERSION" "$node_stage/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$node_stage/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$node_stage/bin/npx"
  [ "$("$node_stage/bin/node" --version)" = "v$NODE_VERSION" ] || die "$node_stage/bin/node reports $("$node_stage/bin/node" --version), expected v$NODE_VERSION"
  [ "$(PATH="$node_stage/bin:$PATH" npm --version)" = "$NPM_VERSION" ] || die "npm in $node_stage does not report $NPM_VERSION"
  rm -rf "$PLZ_NODE_PREFIX"
  mv "$node_stage" "$PLZ_NODE_PREFIX"
  printf '%s\n' "$node_stamp" > "$PLZ_NODE_PREFIX/.stamp"
  step_done "$PLZ_NODE_PREFIX/bin/node $("$PLZ_NODE_PREFIX/bin/node" --version), npm $NPM_VERSION"
fi
# The later steps (tools/images/build packs npm packages) run on it too.
use_node
