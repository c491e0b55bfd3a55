# shellcheck shell=bash
# Local stand-ins for the upstream images (tools/images/build skips each tag that exists).
"$PLZ_REPO_ROOT/tools/images/build"
