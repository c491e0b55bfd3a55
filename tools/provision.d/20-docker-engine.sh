# shellcheck shell=bash
# The Docker engine: start Debian's dockerd in the background unless an engine already answers.
step "docker engine"
mkdir -p "$PLZ_SHIMS"
ln -sfn /usr/bin/docker "$PLZ_SHIMS/docker"
case ":$PATH:" in *":$PLZ_SHIMS:"*) ;; *) PATH="$PLZ_SHIMS:$PATH"; export PATH ;; esac
if docker_answers; then
  step_skip "engine $(/usr/bin/docker version -f '{{.Server.Version}}') answers"
else
  log "starting dockerd (log: /var/log/plz-dockerd.log)"
  setsid /usr/sbin/dockerd >/var/log/plz-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker_answers && break
    sleep 1
  done
  docker_answers || { tail -n 30 /var/log/plz-dockerd.log >&2; die "dockerd did not answer within 60 s"; }
  step_done "engine $(/usr/bin/docker version -f '{{.Server.Version}}')"
fi
