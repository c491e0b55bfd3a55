# shellcheck shell=bash
# Node.js set-up shared by tools/test and tools/demo: checks the version, installs the workspace
# from the lockfile (`npm ci`) unless node_modules already matches it, and builds.

require_node() {
  command -v node >/dev/null || die "Node.js is not installed: plz needs Node.js ^20.19 or >= 22.12"
  node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22 ? 0 : 1);
  ' || die "Node.js $(node --version) is too old: plz needs ^20.19 or >= 22.12"
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
