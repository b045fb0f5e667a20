"""HTTP API: health, readiness while loading and after, search, and clear errors."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import Indexer
from ntm.app import create_app
from ntm.services import Services
from ntm.settings import Settings
from retrieval.search import Searcher
from retrieval.store_edge import EdgeStore

# synthetic fixture
LETTER = """CÔNG VĂN
V/v hướng dẫn thử nghiệm chấm điểm thôn sạch đẹp

1. Mỗi thôn tự chấm điểm theo thang 100 điểm.
2. Thôn đạt từ 80 điểm được đề nghị khen thưởng.
"""


@pytest.fixture
def services(tmp_path, fake_embedder):
    (tmp_path / "cv.txt").write_text(LETTER, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    store = EdgeStore(settings.store_dir)
    indexer = Indexer(store, fake_embedder)
    indexer.ingest_paths([str(tmp_path / "cv.txt")])
    return Services(settings, fake_embedder, store, indexer, Searcher(store, fake_embedder))


def test_search_returns_chunks_with_source_and_path(services):
    with TestClient(create_app(services.settings, lambda: services, wait=True)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["documents"] >= 1
        body = client.get("/api/search", params={"q": "thôn đạt 80 điểm khen thưởng", "limit": 2}).json()
        assert body["results"][0]["source"].endswith("cv.txt")
        assert "80 điểm" in body["results"][0]["text"]
        assert len(body["results"]) <= 2 and body["latency_ms"] >= 0


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {"q": "x" * 5000}, {"q": "a", "limit": 0},
                                    {"q": "a", "mode": "magic"}, {}])
def test_bad_search_input_is_a_clear_4xx(services, params):
    with TestClient(create_app(services.settings, lambda: services, wait=True)) as client:
        response = client.get("/api/search", params=params)
        assert response.status_code == 422
        assert response.json()["detail"]


@contextmanager
def loading_app(services):
    """A client of an app whose services are still loading; `gate.set()` lets them finish (done on exit too)."""
    gate = threading.Event()

    def slow_factory():
        gate.wait(10)
        return services

    with TestClient(create_app(services.settings, slow_factory)) as client:
        try:
            yield client, gate
        finally:
            gate.set()  # before the client closes: shutting down waits for the loader


def test_not_ready_while_loading_then_ready(services):
    with loading_app(services) as (client, gate):
        loading = client.get("/readyz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        assert client.get("/api/search", params={"q": "thôn"}).status_code == 503
        assert client.get("/healthz").status_code == 200
        gate.set()
        app_state = client.app.state.ntm
        app_state.ready.wait(10)
        assert client.get("/readyz").status_code == 200


def test_while_loading_a_malformed_request_still_gets_its_own_error(services):
    with loading_app(services) as (client, _):
        assert client.get("/api/search", params={"q": "a", "mode": "magic"}).status_code == 422
        bad_ask = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad_ask.status_code == 400 and bad_ask.json()["code"] == "invalid_json"
        good_ask = client.post("/api/ask", json={"question": "Thôn đạt bao nhiêu điểm thì được khen thưởng?"})
        assert good_ask.status_code == 503 and good_ask.json()["code"] == "loading"
        assert client.get("/api/documents").status_code == 503


def test_startup_failure_is_reported_not_hidden(tmp_path, caplog):
    def broken():
        raise RuntimeError("model folder missing")

    # callers are told it failed and where to look; the reason (paths, settings) is in the operator's log
    with TestClient(create_app(Settings(data_dir=tmp_path), broken, wait=True), client=("127.0.0.1", 50000)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["code"] == "startup_failed"
        assert "server log" in response.json()["detail"]
    assert "model folder missing" in caplog.text
