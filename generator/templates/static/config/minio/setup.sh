#!/bin/sh
# Runs in the minio-init container (minio/mc image) from step 80 of ./init-deployment.sh: creates
# the buckets, one policy per service (this folder's *-policy.json), one account per service with
# its policy attached. MC_HOST_plz (the root credentials) and the secret keys come from compose.
# Safe to repeat: existing buckets are kept, policies and secret keys are set again (so that
# --rotate-secrets reaches MinIO), a policy is attached only when it is not yet. Secret keys never
# appear on a command line (which `ps` shows to everyone on the host): mc reads them from stdin.
set -eu

for bucket in plz-snapshots plz-inputs mlflow; do
  if mc stat --quiet "plz/$bucket" >/dev/null 2>&1; then
    echo "bucket $bucket: present"
  else
    mc mb --quiet "plz/$bucket" >/dev/null
    echo "bucket $bucket: created"
  fi
done

# account SERVICE SECRET: the account plz-SERVICE with the policy plz-SERVICE (a shell function:
# its arguments are no process's command line).
account() {
  service=$1
  secret=$2
  name="plz-$service"
  mc admin policy create plz "$name" "/etc/plz/minio/$service-policy.json" >/dev/null
  # With ALIAS and ACCESSKEY only, `mc admin user add` reads the secret key from stdin (one line);
  # printf is a shell builtin, so the key is not on any command line either. Sets it again if the
  # account exists.
  printf '%s\n' "$secret" | mc admin user add plz "$name" >/dev/null
  if mc admin user info plz "$name" --json | grep -Eq "\"policyName\": *\"([^\"]*,)?$name(,[^\"]*)?\""; then
    echo "account $name: policy $name attached"
  else
    mc admin policy attach plz "$name" --user "$name" >/dev/null
    echo "account $name: policy $name now attached"
  fi
}

account restapi "$RESTAPI_S3_SECRET_KEY"
account worker "$WORKER_S3_SECRET_KEY"
account mlflow "$MLFLOW_S3_SECRET_KEY"
