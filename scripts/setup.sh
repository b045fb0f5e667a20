#!/usr/bin/env bash
# Create .venv, install the project and build the offline embedding model. Safe and fast to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"

# torch first, pinned: the CPU wheel on this machine. Letting pip choose would pull GBs of CUDA.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU)"
  $PIP install -q torch==2.13.0
fi

# Re-install only when the dependency list changed.
stamp=.venv/.ntm-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the project and its dependencies"
  $PIP install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# Tesseract with Vietnamese data for scanned PDFs, when we may install it (root with apt).
bash scripts/setup_ocr.sh

# Build (or confirm) the embedding model; a no-op when it is already built.
.venv/bin/ntm models build
