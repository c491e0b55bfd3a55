#!/usr/bin/env bash
# Step 15: when the deployment has GPU workers (PLZ_GPU_DEVICES in envs/deployment.env), checks
# that the NVIDIA driver answers (`nvidia-smi -L`) and lists every GPU the workers own, and that
# Docker can hand GPUs to containers (the NVIDIA Container Toolkit: docker's `nvidia` runtime, or
# its hook or nvidia-ctk on this host). Says how to install what is missing, before anything starts.
# Changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

read -r -a devices <<<"${PLZ_GPU_DEVICES:-}"
if ((${#devices[@]} == 0)); then
  plz_log "no GPU worker: the NVIDIA driver and Container Toolkit are not needed"
  exit 0
fi

driver_help="install the NVIDIA driver for these GPUs (Ubuntu: sudo ubuntu-drivers install; Debian: the nvidia-driver package from non-free; RHEL and others: https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/), reboot, and check that nvidia-smi lists the GPUs; or give this deployment no GPU worker: yo plz-deploy --gpus none"
command -v nvidia-smi >/dev/null ||
  plz_die "GPU workers are configured (GPUs ${devices[*]}) but nvidia-smi is not installed: $driver_help; nothing was changed"
if ! listing=$(nvidia-smi -L 2>&1); then
  plz_die "GPU workers are configured (GPUs ${devices[*]}) but the NVIDIA driver does not answer (nvidia-smi -L: ${listing//$'\n'/ }): $driver_help; nothing was changed"
fi
missing=()
for device in "${devices[@]}"; do
  grep -q "^GPU $device: " <<<"$listing" || missing+=("$device")
done
if ((${#missing[@]} > 0)); then
  plz_die "GPU ${missing[*]} of the GPU workers is not on this host: nvidia-smi -L lists $(grep -c '^GPU ' <<<"$listing" || true) GPU(s): choose GPUs it lists with yo plz-deploy --gpus; nothing was changed"
fi

runtimes=$(docker info --format '{{json .Runtimes}}' 2>/dev/null || true)
if [[ $runtimes != *'"nvidia"'* ]] && ! command -v nvidia-container-runtime-hook >/dev/null && ! command -v nvidia-ctk >/dev/null; then
  plz_die "GPU workers are configured but Docker cannot give containers GPUs: the NVIDIA Container Toolkit is missing (docker info lists no nvidia runtime, and neither nvidia-container-runtime-hook nor nvidia-ctk is installed). Install the package nvidia-container-toolkit from NVIDIA's repository (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), then run: sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker; nothing was changed"
fi
plz_log "NVIDIA driver and Container Toolkit found; GPUs of the workers: ${devices[*]}"
while IFS= read -r line; do
  if [[ $line == GPU\ * ]]; then plz_log "  $line"; fi
done <<<"$listing"
