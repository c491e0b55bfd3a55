#!/usr/bin/env bash
# Step 60: starts (or keeps running) PostgreSQL and MinIO and waits until they are healthy, for the
# next steps. Compose leaves a running container alone unless its configuration changed;
# --remove-orphans removes the containers of services the compose file no longer has (the workers
# that yo plz-deploy with fewer --gpus or --cpu-workers dropped).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

plz_compose up -d --wait --remove-orphans db minio
