"""The scale benchmark's ingest run on a tiny synthetic corpus laid out like ../shared/corpus."""

from __future__ import annotations

import gzip
import json

import pytest

from eval import bench_scale

pytestmark = [pytest.mark.synthetic, pytest.mark.model]

# synthetic fixture: made-up pages and notes, written for this test
PAGES = [{"id": f"p{n}", "title": f"Trang giả lập số {n}", "text": f"Xã Hòa Bình Xanh số {n} xây dựng đường liên thôn "
          "và nhà văn hóa, hoàn thành kế hoạch năm 2031."} for n in range(3)]


def test_an_ingest_run_into_a_data_dir_that_does_not_exist_yet(tmp_path, monkeypatch, built_model):
    corpus = tmp_path / "corpus"
    for sub in ("seeds", "ntm"):
        (corpus / sub).mkdir(parents=True)
        (corpus / sub / f"{sub}.txt").write_text(f"Ghi chú giả lập ({sub}): xã đạt chuẩn nông thôn mới năm 2031.",
                                                 encoding="utf-8")
    with gzip.open(corpus / "tvpl-pages.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in PAGES)
    monkeypatch.setenv("NTM_QDRANT_URL", "")  # the embedded store, whatever a developer's .env says
    monkeypatch.setenv("NTM_EMBEDDING_MODEL", str(built_model))  # the model built once, not again in the new dir
    data_dir = tmp_path / "fresh" / "data"  # neither it nor its parent exists: a first run from nothing
    run = bench_scale.ingest_run(data_dir, corpus, None)
    assert run["exit_code"] == 0, run["report"]
    assert run["documents_after"] >= 5 and run["chunks_after"] >= 5 and run["chunks_before"] == 0
    assert "Documents:" in run["report"][0]
