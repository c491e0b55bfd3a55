#!/usr/bin/env bash
# Step 25: records the group of the Docker socket in .env (DOCKER_SOCKET_GID). The workers run as
# an unprivileged user and reach the socket through this group (compose `group_add`).
# Changes .env only when the group differs.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

socket=/var/run/docker.sock
[[ -S $socket ]] || plz_die "no Docker socket at $socket: the workers run jobs through it (is Docker running on this host?)"
gid=$(stat -L -c '%g' "$socket")
[[ $(plz_env_get DOCKER_SOCKET_GID) == "$gid" ]] || plz_log "the workers join group $gid, the Docker socket's (DOCKER_SOCKET_GID)"
plz_env_set DOCKER_SOCKET_GID "$gid"
