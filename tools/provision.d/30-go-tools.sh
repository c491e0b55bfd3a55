# shellcheck shell=bash
# Docker Compose v2 (as a CLI plugin), MinIO and mc: built with `go install` from the Go module
# proxy at pinned versions, each into its own versioned folder under $PLZ_TOOLS_DIR/bin.
export GOPATH="$PLZ_TOOLS_DIR/gopath" GOCACHE="$PLZ_TOOLS_DIR/gocache" GOFLAGS="-trimpath -buildvcs=false"

# go_tool NAME MODULE@VERSION BINARY [LDFLAGS]: builds into $PLZ_TOOLS_DIR/bin/NAME-VERSION/ unless
# a stamp there records the same module and flags (a half-finished build leaves no stamp).
go_tool() {
  local name=$1 module=$2 binary=$3 ldflags=${4:-} dir
  dir="$PLZ_TOOLS_DIR/bin/$name-${module##*@}"
  step "$name (${module##*@})"
  if [ -x "$dir/$binary" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$module $ldflags" ]; then
    step_skip "already built"
  else
    command -v go >/dev/null || die "go is not installed: the Go toolchain builds $name"
    rm -f "$dir/.stamp"
    GOBIN="$dir" go install -ldflags "$ldflags" "$module"
    printf '%s\n' "$module $ldflags" > "$dir/.stamp"
    step_done "built $dir/$binary"
  fi
}

go_tool compose "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" cmd \
  "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
# Both report the module version as their release tag (`minio --version`).
go_tool minio "github.com/minio/minio@$MINIO_MODULE_VERSION" minio \
  "-X github.com/minio/minio/cmd.ReleaseTag=$MINIO_MODULE_VERSION -X github.com/minio/minio/cmd.Version=$MINIO_MODULE_VERSION"
go_tool mc "github.com/minio/mc@$MC_MODULE_VERSION" mc \
  "-X github.com/minio/mc/cmd.ReleaseTag=$MC_MODULE_VERSION -X github.com/minio/mc/cmd.Version=$MC_MODULE_VERSION"

step "compose plugin"
plugin=/usr/local/lib/docker/cli-plugins/docker-compose
built="$PLZ_TOOLS_DIR/bin/compose-$COMPOSE_VERSION/cmd"
if cmp -s "$built" "$plugin"; then
  step_skip "$(docker compose version --short) installed"
else
  install -D -m 0755 "$built" "$plugin"
  version=$(docker compose version --short)
  [ "${version#v}" = "${COMPOSE_VERSION#v}" ] || die "docker compose reports $version, expected $COMPOSE_VERSION"
  step_done "docker compose $version"
fi
