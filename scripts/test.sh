#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The web page test drives Debian's Chromium (no browser download; the emoji font is for its screenshots).
# Install them when we may; without Chromium that one test is skipped and says why.
. scripts/apt.sh
if [ ! -x /usr/bin/chromium ] && can_apt; then
  echo "test: installing Debian's chromium for the web page test"
  apt_install chromium fonts-noto-color-emoji || echo "test: could not install chromium; the browser test will be skipped"
fi
exec .venv/bin/python -m pytest "$@"
