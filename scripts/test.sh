#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The web page test drives Debian's Chromium (no browser download; the emoji font is for its screenshots).
# Install them when we may; without Chromium that one test is skipped and says why.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "test: installing Debian's chromium for the web page test"
  (apt-get install -y -q chromium fonts-noto-color-emoji >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-color-emoji >/dev/null 2>&1; }) \
    || echo "test: could not install chromium; the browser test will be skipped"
fi
exec .venv/bin/python -m pytest "$@"
