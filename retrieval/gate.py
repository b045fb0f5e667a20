"""A bounded queue in front of the CPU-heavy part of answering: a few answers computed at once, a few more waiting,
and beyond that an immediate, polite refusal instead of an ever longer wait."""

from __future__ import annotations

import threading
from collections import deque

OVERLOADED = "Hệ thống đang quá tải, vui lòng thử lại sau ít giây."
RETRY_AFTER_S = 2  # a full queue drains in about a second at the measured throughput (eval/bench_load.py)


class Overloaded(RuntimeError):
    """More questions are waiting than the gate allows; ask again after `retry_after_s` seconds."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} questions already waiting")
        self.message, self.retry_after_s = OVERLOADED, RETRY_AFTER_S


class AnswerGate:
    """At most `slots` holders inside at once and at most `queue` waiting; one more raises Overloaded at once.

    First come, first served: a freed slot is handed to the longest waiter (a semaphore lets newcomers take it
    first, and a waiter who loses goes to the back, which stretched the slowest answers). Used as a context manager
    from worker threads (the web app's threadpool, the bots' threads)."""

    def __init__(self, slots: int, queue: int) -> None:
        if slots < 1 or queue < 0:
            raise ValueError(f"a gate needs at least one slot and a queue of 0 or more, got {slots} and {queue}")
        self.slots, self.queue = slots, queue
        self._lock = threading.Lock()
        self._busy = 0
        self._turns: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        """How many holders wait for a slot right now."""
        return len(self._turns)

    def __enter__(self) -> AnswerGate:
        with self._lock:
            if self._busy < self.slots and not self._turns:
                self._busy += 1
                return self
            if len(self._turns) >= self.queue:
                raise Overloaded(len(self._turns))
            turn = threading.Event()
            self._turns.append(turn)
        turn.wait()  # the slot is handed over by the holder leaving (__exit__)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            if self._turns:
                self._turns.popleft().set()  # the slot passes on: _busy stays the same
            else:
                self._busy -= 1
