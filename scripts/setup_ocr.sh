#!/usr/bin/env bash
# OCR of scanned PDFs: Tesseract with its Vietnamese data, and poppler's pdftoppm to render pages, installed with
# apt when we may (root); a no-op once present. The Python binding (pytesseract) comes with the dev extra.
# Without them a scanned PDF is skipped with a reason saying what to install (README, Configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh
langs=$(tesseract --list-langs 2>/dev/null || true)
if grep -qx vie <<<"$langs" && command -v pdftoppm >/dev/null; then
  exit 0
fi
if ! can_apt; then
  echo "setup: no OCR (installing Tesseract needs root and apt-get); scanned PDFs will be skipped, see the README"
  exit 0
fi
echo "setup: installing Tesseract with Vietnamese data for scanned PDFs"
apt_install tesseract-ocr tesseract-ocr-vie poppler-utils \
  || echo "setup: could not install tesseract-ocr-vie; scanned PDFs will be skipped, see the README"
