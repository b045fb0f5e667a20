"""The `ntm` command as an operator uses it: ingest with a report, documents, search, delete, errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ntm import cli

# synthetic fixture
NOTICE = """THÔNG BÁO
Về lịch kiểm tra thử nghiệm mô hình thôn thông minh

1. Đoàn kiểm tra làm việc tại xã Hòa An vào ngày 12/5/2031.
2. Xã chuẩn bị báo cáo kết quả chuyển đổi số của các thôn.
"""


@pytest.fixture
def env(tmp_path, monkeypatch, fake_embedder):
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: fake_embedder)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tb-kiem-tra.txt").write_text(NOTICE, encoding="utf-8")
    return folder


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def test_ingest_reports_then_search_and_documents_show_it(env):
    result = invoke("ingest", "--no-catalogue", str(env))
    assert result.exit_code == 0, result.output
    assert "Documents: 1 (added 1" in result.output and "skipped (files or JSONL lines): 0" in result.output
    again = invoke("ingest", "--no-catalogue", str(env))
    assert "unchanged 1" in again.output and "chunks written: 0" in again.output
    found = invoke("search", "đoàn kiểm tra xã Hòa An", "--limit", "1", "--mode", "sparse")
    assert found.exit_code == 0 and "12/5/2031" in found.output and "tb-kiem-tra.txt" in found.output
    listed = invoke("documents")
    assert "tb-kiem-tra.txt" in listed.output and "1 document(s)" in listed.output


def test_skipped_files_are_listed_with_reasons_and_exit_code_3(env, tmp_path):
    (env / "trong.txt").write_text("  \n", encoding="utf-8")
    result = invoke("ingest", "--no-catalogue", str(env), str(tmp_path / "khong-co"))
    assert result.exit_code == 3
    assert "[empty]" in result.output and "[not_found]" in result.output
    assert "added 1" in result.output


def test_delete_removes_one_document_and_unknown_is_an_error(env):
    invoke("ingest", "--no-catalogue", str(env))
    source = str(env / "tb-kiem-tra.txt")
    assert "Removed 1 document" in invoke("ingest", "--delete", source).output
    missing = invoke("ingest", "--delete", source)
    assert missing.exit_code == 1 and "no indexed document matches" in missing.output
    assert "0 document(s)" in invoke("documents").output


def test_catalogue_is_indexed_by_default(env):
    result = invoke("ingest")
    assert result.exit_code == 0, result.output
    listed = invoke("documents")
    assert "267/BNN-VPĐP" in listed.output and "knowledge/catalogue.yaml#" in listed.output


def test_empty_query_is_a_clear_error(env):
    result = invoke("search", "   ")
    assert result.exit_code == 2 and "empty" in result.output


def test_second_process_on_the_embedded_store_gets_a_clear_message(tmp_path):
    from retrieval.store_edge import EdgeStore

    holder = EdgeStore(tmp_path / "data" / "qdrant")
    try:
        env = {**os.environ, "NTM_DATA_DIR": str(tmp_path / "data")}
        proc = subprocess.run([sys.executable, "-m", "ntm", "documents"], capture_output=True, text=True, env=env,
                              timeout=120)
    finally:
        holder.close()
    assert proc.returncode == 2
    assert "in use by another process" in proc.stderr and "Traceback" not in proc.stderr


def test_units_prints_what_became_of_a_unit_as_text_or_json_with_exit_codes():
    import json

    text = invoke("units", "xa son phu, giong trom")
    assert text.exit_code == 0 and "nay thuộc phường An Hội, tỉnh Vĩnh Long" in text.output
    assert "(Nguồn: dữ liệu vietnamadminunits 1.0.4 (MIT))" in text.output
    body = json.loads(invoke("units", "--json", "phuong long my").output)
    assert body["status"] == "found" and body["units"][0]["name"] == "Phường Long Mỹ"
    assert invoke("units", "xã Qwzrtyk").exit_code == 1 and invoke("units", "x").exit_code == 2


def test_ingest_of_a_big_file_shows_a_bar_counting_its_chunks(env, monkeypatch):
    # synthetic fixture: 120 one-chunk articles; the bar shows at once instead of after a second
    articles = (f"Điều {n}. Thôn thử nghiệm số {n} lắp {n} đèn đường." for n in range(1, 121))
    (env / "quy-dinh-dai.txt").write_text("\n\n".join(articles), encoding="utf-8")
    monkeypatch.setattr(cli, "BAR_DELAY_S", 0)
    result = invoke("ingest", "--no-catalogue", str(env / "quy-dinh-dai.txt"))
    assert result.exit_code == 0, result.output
    assert "quy-dinh-dai.txt" in result.stderr and "/120 [" in result.stderr and "chunk" in result.stderr
