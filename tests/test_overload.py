"""Under load, answers do not queue without bound: beyond the answering slots and the waiting queue, a question is
refused at once with 503 "overloaded" and Retry-After, and the questions admitted are answered."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from fastapi.testclient import TestClient

from bot_support import PLAN_QUESTION, bot_settings, build_index
from ntm.app import create_app
from retrieval.gate import AnswerGate
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


def test_a_freed_slot_goes_to_the_question_waiting_longest_not_to_a_newcomer():
    gate, order = AnswerGate(slots=1, queue=2), []

    def ask(name: str) -> None:
        with gate:
            order.append(name)

    gate.__enter__()  # the only slot is taken
    waiter = threading.Thread(target=ask, args=("waiting",))
    waiter.start()
    deadline = time.monotonic() + DEADLOCK_GUARD_S
    while gate.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.__exit__(None, None, None)  # the slot is freed, and at that very moment a newcomer asks
    ask("newcomer")
    waiter.join(DEADLOCK_GUARD_S)
    assert order == ["waiting", "newcomer"]  # first come, first served: waits stay bounded by the queue
