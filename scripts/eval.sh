#!/usr/bin/env bash
# Full evaluation (needs ../shared): the three NTM sets (the first dev set; the officer-style set and the units
# and criteria set, each reported per part: frozen test and dev) and ALQAC-2022, each in BM25 / dense / hybrid (+ llm when
# NTM_LLM_BASE_URL or NTM_LLM_GGUF is set), then the README's results table. Indexes are reused when the
# corpus and settings are unchanged. Reports: data/eval/runs/{officer,units,dev,alqac}-latest/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(realpath -m "${NTM_SHARED:-$repo/../shared}")
cd "$repo"
bash scripts/setup.sh
modes=hybrid,sparse,dense,llm
.venv/bin/ntm eval run --dataset eval/datasets/ntm_dev.jsonl --corpus "$shared/corpus/seeds" \
    --corpus "$shared/corpus/ntm" --modes "$modes" --out data/eval/runs/dev-latest
.venv/bin/ntm eval run --dataset eval/datasets/ntm_officer.jsonl --corpus "$shared/corpus/seeds" \
    --corpus "$shared/corpus/ntm" --modes "$modes" --out data/eval/runs/officer-latest
.venv/bin/ntm eval run --dataset eval/datasets/ntm_units_criteria.jsonl --corpus "$shared/corpus/seeds" \
    --corpus "$shared/corpus/ntm" --modes "$modes" --out data/eval/runs/units-latest
.venv/bin/ntm eval run --dataset "$shared/bench/alqac2022" --modes "$modes" --out data/eval/runs/alqac-latest
.venv/bin/ntm eval readme data/eval/runs/officer-latest data/eval/runs/units-latest data/eval/runs/dev-latest \
    data/eval/runs/alqac-latest
