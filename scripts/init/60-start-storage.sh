#!/usr/bin/env bash
# Step 60: starts (or keeps running) PostgreSQL and MinIO and waits until they are healthy, for the
# next steps. Compose leaves a running container alone unless its configuration changed.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

plz_compose up -d --wait db minio
