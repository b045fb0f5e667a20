#!/usr/bin/env bash
# Set up, index the knowledge catalogue (plus any paths given, relative to where you run this),
# and serve the assistant on the embedded store.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# One data dir for setup, ingest and serve, wherever this is run from.
NTM_DATA_DIR=$(realpath -m "${NTM_DATA_DIR:-$repo/data}")
export NTM_DATA_DIR
bash "$repo/scripts/setup.sh"
# Exit code 3 means some files were skipped (listed above): serve what was indexed. Anything else stops here.
rc=0; "$repo/.venv/bin/ntm" ingest "$@" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || exit "$rc"
exec "$repo/.venv/bin/ntm" serve
