#!/usr/bin/env bash
# Step 80: creates the MinIO buckets, one account per service and its policy (config/minio/), with
# mc in a container (the minio-init service of docker-compose.yml, see config/minio/setup.sh).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

plz_compose run --rm -T minio-init
