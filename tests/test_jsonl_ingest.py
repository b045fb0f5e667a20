"""JSONL corpora: good and malformed lines, idempotent re-runs, truncated gzip, and a killed-then-resumed ingest."""

from __future__ import annotations

import gzip
import json
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import Indexer
from ntm import cli
from retrieval.search import Searcher
from retrieval.store_edge import EdgeStore
from tests_support import HookedEmbedder, kill_when

pytestmark = pytest.mark.synthetic  # every document here is written for these tests

REPO = Path(__file__).resolve().parents[1]


def _page(n: int) -> dict:
    """A short synthetic decision with a distinctive number in it."""
    return {"id": f"qd-{n:03d}", "title": f"Quyết định thử nghiệm số {n}",
            "text": f"Điều 1. Xã thử nghiệm số {n} trồng {100 + n} cây xanh mỗi năm.\n"
                    f"Điều 2. Quyết định số {n} có hiệu lực từ ngày ký."}


def _write(path: Path, lines: list[bytes | dict]) -> Path:
    raw = b"".join((json.dumps(x, ensure_ascii=False).encode("utf-8") if isinstance(x, dict) else x) + b"\n"
                   for x in lines)
    path.write_bytes(gzip.compress(raw) if path.name.endswith(".gz") else raw)
    return path


def _sources(store) -> set[str]:
    return {r.source for r in store.documents().values()}


def test_malformed_lines_are_reported_by_line_number_and_the_rest_is_indexed(store, fake_embedder, tmp_path):
    good = dict(_page(1), number="12/2031/QĐ-UBND", signed_date="05/03/2031")
    path = _write(tmp_path / "pages.jsonl", [
        good,                                   # 1
        b"{not json",                           # 2
        b"",                                    # 3: blank lines are not documents and not problems
        {"title": "no id", "text": "x"},        # 4
        {"id": "rong", "text": "   "},          # 5
        dict(_page(1), text="a repeat"),        # 6: same id as line 1
        b'["a", "list"]',                       # 7
        b'{"id": "latin1", "text": "x\xe0"}',    # 8: not UTF-8
        {"id": 7, "text": _page(7)["text"]},    # 9: numeric ids are fine
        {"id": "bad-title", "text": _page(9)["text"], "title": ["not", "a", "string"]},  # 10
    ])
    report = Indexer(store, fake_embedder).ingest_paths([str(path)])
    skipped = {src: code for src, code, _ in report.skipped}
    assert skipped == {f"{path}:2": "malformed", f"{path}:4": "malformed", f"{path}:5": "empty",
                       f"{path}:6": "duplicate", f"{path}:7": "malformed", f"{path}:8": "encoding"}
    reasons = {src: reason for src, _, reason in report.skipped}
    assert "line 1" in reasons[f"{path}:6"] and "UTF-8" in reasons[f"{path}:8"]
    assert _sources(store) == {f"{path}#qd-001", f"{path}#7", f"{path}#bad-title"}
    assert (f"{path}#bad-title", "field 'title' is not a string; ignored") in report.warnings
    first = next(r for r in store.documents().values() if r.source.endswith("#qd-001"))
    assert first.meta["number"] == "12/2031/QĐ-UBND" and first.meta["signed_date"] == "2031-03-05"
    assert first.meta["title"] == "Quyết định thử nghiệm số 1"
    hits = Searcher(store, fake_embedder).search("xã nào trồng 101 cây xanh", limit=1, mode="sparse")
    assert "101 cây xanh" in hits[0].text


def test_rerun_skips_unchanged_lines_and_follows_edits_and_removals(store, fake_embedder, tmp_path):
    pages = [_page(n) for n in range(1, 6)]
    path = _write(tmp_path / "pages.jsonl.gz", pages)
    Indexer(store, fake_embedder).ingest_paths([str(path)])
    counting = HookedEmbedder(fake_embedder)
    again = Indexer(store, counting).ingest_paths([str(path)])
    assert len(again.unchanged) == 5 and counting.passages == 0  # nothing re-embedded

    pages[1] = dict(pages[1], text=pages[1]["text"].replace("102 cây", "999 cây"))
    _write(path, pages[:4])  # line 2 edited, line 5 gone
    changed = Indexer(store, fake_embedder).ingest_paths([str(path)])
    assert changed.updated == [f"{path}#qd-002"] and changed.missing == [f"{path}#qd-005"]
    assert f"{path}#qd-005" in _sources(store)  # a vanished line is reported, not silently dropped
    hits = Searcher(store, fake_embedder).search("xã thử nghiệm số 2 trồng cây", limit=1, mode="sparse")
    assert "999 cây" in hits[0].text

    pruned = Indexer(store, fake_embedder).ingest_paths([str(path)], prune=True)
    assert pruned.pruned == [f"{path}#qd-005"] and f"{path}#qd-005" not in _sources(store)
    assert store.count() == sum(r.chunk_count for r in store.documents().values())


def test_a_truncated_gzip_keeps_what_was_read_and_removes_nothing(store, fake_embedder, tmp_path):
    path = _write(tmp_path / "pages.jsonl.gz", [_page(n) for n in range(1, 41)])
    Indexer(store, fake_embedder).ingest_paths([str(path)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])  # an interrupted download
    report = Indexer(store, fake_embedder).ingest_paths([str(path)], prune=True)
    (where, code, reason), = report.skipped
    assert code == "corrupt" and "cannot be read past line" in reason and where.startswith(f"{path}:")
    assert 0 < len(report.unchanged) < 40 and not report.missing and not report.pruned
    assert len(store.documents()) == 40


def test_cli_ingests_a_jsonl_file_and_lists_bad_lines(tmp_path, monkeypatch, fake_embedder):
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: fake_embedder)
    path = _write(tmp_path / "pages.jsonl", [_page(1), b"{oops", _page(2)])
    result = CliRunner().invoke(cli.app, ["ingest", "--no-catalogue", str(path)])
    assert result.exit_code == 3, result.output  # some input skipped
    assert "added 2" in result.output
    assert f"skipped [malformed] {path}:2: not valid JSON" in result.output
    listed = CliRunner().invoke(cli.app, ["documents"])
    assert f"{path}#qd-001" in listed.output and f"{path}#qd-002" in listed.output


# A child process ingests slowly and prints each line it reads; the test kills it (SIGKILL, like a power cut).
CHILD = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [{repo!r}, {tests!r}]
    from ingest.pipeline import Indexer
    from retrieval.embedding import HashEmbedder
    from retrieval.store_edge import EdgeStore
    from tests_support import HookedEmbedder, kill_when

    def report_lines(items, total, name):
        for n, item in enumerate(items, 1):
            print(n, flush=True)
            yield item

    slow = HookedEmbedder(HashEmbedder(), before_batch=lambda e: time.sleep(0.05))
    Indexer(EdgeStore(sys.argv[1]), slow, commit_chunks=3).ingest_paths([sys.argv[2]], lines=report_lines)
    print("finished", flush=True)
""")


def _killed_midway(store_dir: Path, corpus: Path, after_lines: int) -> None:
    script = CHILD.format(repo=str(REPO), tests=str(REPO / "tests"))
    kill_when([sys.executable, "-c", script, str(store_dir), str(corpus)],
              lambda line: line.isdigit() and int(line) >= after_lines)


def _index_state(store) -> tuple[set, set[str], int]:
    rows = {(r.doc_id, r.version, r.source, r.chunk_count) for r in store.documents().values()}
    return rows, store.chunk_versions(), store.count()


def test_a_killed_ingest_resumes_where_it_stopped_and_ends_identical(tmp_path, fake_embedder):
    corpus = _write(tmp_path / "pages.jsonl.gz", [_page(n) for n in range(1, 31)])
    _killed_midway(tmp_path / "resumed", corpus, after_lines=12)

    partial = EdgeStore(tmp_path / "resumed")
    try:
        done = len(partial.documents())
        assert 0 < done < 30
        hits = Searcher(partial, fake_embedder).search("xã thử nghiệm trồng cây xanh", limit=50, mode="sparse")
        assert hits and {h.doc_id for h in hits} <= set(partial.documents())  # nothing half-written is visible
        resumed = Indexer(partial, HookedEmbedder(fake_embedder)).ingest_paths([str(corpus)])
        assert len(resumed.unchanged) == done and len(resumed.added) == 30 - done  # finished ones not redone
        after_resume = _index_state(partial)
    finally:
        partial.close()

    clean = EdgeStore(tmp_path / "clean")
    try:
        Indexer(clean, fake_embedder).ingest_paths([str(corpus)])
        assert after_resume == _index_state(clean)  # same documents, versions, chunks; no leftovers
    finally:
        clean.close()


def test_ctrl_c_prints_what_was_indexed_and_how_to_resume(tmp_path, monkeypatch, fake_embedder):
    def ctrl_c_on_second_batch(embedder) -> None:
        if embedder.calls == 1:
            raise KeyboardInterrupt

    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    interrupting = HookedEmbedder(fake_embedder, before_batch=ctrl_c_on_second_batch)
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: interrupting)
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in (1, 2, 3):
        (folder / f"qd-{n}.txt").write_text(_page(n)["text"], encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["ingest", "--no-catalogue", str(folder)])
    assert result.exit_code == 130
    assert "Documents: 1 (added 1" in result.output and "Run the same command again to resume" in result.output
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: fake_embedder)
    resumed = CliRunner().invoke(cli.app, ["ingest", "--no-catalogue", str(folder)])
    assert resumed.exit_code == 0 and "added 2, updated 0, unchanged 1" in resumed.output


def test_a_line_over_the_size_limit_states_both_sizes_in_mb(store, fake_embedder, tmp_path):
    long = dict(_page(2), text="Xã thử nghiệm trồng cây xanh. " * 50_000)  # 1,900,079 bytes as a line
    path = _write(tmp_path / "pages.jsonl", [_page(1), long])
    report = Indexer(store, fake_embedder, max_bytes=10**6).ingest_paths([str(path)])
    assert [(code, reason) for src, code, reason in report.skipped if src.endswith(":2")] == \
        [("too_large", "line is 1.9 MB, over the 1 MB limit (MB = 10^6 bytes)")]
    assert len(report.added) == 1


def test_a_title_scraped_from_a_table_border_gives_way_to_the_title_in_the_text(store, fake_embedder, tmp_path):
    text = ("| **ỦY BAN NHÂN DÂN XÃ THỬ NGHIỆM** | **CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM** |\n\nSố: 31/TB-UBND\n\n"
            "THÔNG BÁO\nVề lịch tiếp công dân năm 2031\n\nỦy ban nhân dân xã tiếp công dân vào thứ Năm hằng tuần.")
    path = _write(tmp_path / "pages.jsonl", [{"id": "tb-31", "title": "|", "text": text}])
    report = Indexer(store, fake_embedder).ingest_paths([str(path)])
    record = next(iter(store.documents().values()))
    assert record.meta["number"] == "31/TB-UBND"
    assert record.meta["title"] and any(c.isalpha() for c in record.meta["title"])  # never "|" in a citation
    assert (f"{path}#tb-31", "field 'title' '|' has no letter or digit; title taken from the text") in report.warnings
