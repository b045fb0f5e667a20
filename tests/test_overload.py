"""Under load, answers do not queue without bound: beyond the answering slots and the waiting queue, a question is
refused at once with 503 "overloaded" and Retry-After, and the questions admitted are answered."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from fastapi.testclient import TestClient

from bot_support import PLAN_QUESTION, bot_settings, build_index
from ntm.app import create_app
from tests_support import HeldEmbedder

pytestmark = pytest.mark.synthetic

DEADLOCK_GUARD_S = 20  # not a speed limit: held questions never finish, so waiting for them must end somewhere
OVERLOADED = {"detail": "Hệ thống đang quá tải, vui lòng thử lại sau ít giây.", "code": "overloaded"}


@pytest.fixture
def held(tmp_path):
    """An app with one answering slot and a queue of one, whose query embedding blocks while held."""
    settings = bot_settings(tmp_path, answer_slots=1, answer_queue=1, rate_limit_per_minute=100)
    services = build_index(tmp_path, settings)
    embedder = HeldEmbedder(services.searcher.embedder)
    services.searcher.embedder = embedder
    with TestClient(create_app(settings, lambda: services, wait=True)) as client:
        yield client, embedder


@pytest.mark.parametrize("route", ["/api/ask", "/api/chat"])
def test_a_question_beyond_the_queue_is_refused_at_once_and_the_admitted_ones_are_answered(held, route):
    client, embedder = held
    pool = ThreadPoolExecutor(3)
    try:
        embedder.hold()
        first = pool.submit(client.post, route, json={"question": PLAN_QUESTION})
        assert embedder.entered.wait(DEADLOCK_GUARD_S)  # the only slot is taken and stays taken
        more = [pool.submit(client.post, route, json={"question": PLAN_QUESTION}) for _ in range(2)]
        done, _ = wait(more, timeout=DEADLOCK_GUARD_S, return_when=FIRST_COMPLETED)
        assert done, "every question waits: nothing bounds the queue"
        turned_away = done.pop()
        assert not first.done()  # refused while the slot is still held: it did not wait its turn
        embedder.release()
        answered = [f.result(timeout=DEADLOCK_GUARD_S) for f in (first, *more) if f is not turned_away]
    finally:
        embedder.release()  # a failed check must not leave worker threads blocked
        pool.shutdown()
    refused = turned_away.result()
    assert refused.status_code == 503
    assert {k: refused.json()[k] for k in OVERLOADED} == OVERLOADED
    assert refused.headers["Retry-After"] == "2"
    assert [r.status_code for r in answered] == [200, 200]
    assert all(r.json()["answered"] for r in answered)
