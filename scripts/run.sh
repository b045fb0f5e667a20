#!/usr/bin/env bash
# Set up, index the knowledge catalogue (plus any paths given), and serve the assistant on the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Exit code 1 means some files were skipped (listed above): serve what was indexed. Anything else stops here.
rc=0; .venv/bin/ntm ingest "$@" || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
exec .venv/bin/ntm serve
