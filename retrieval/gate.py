"""A bounded queue in front of the CPU-heavy part of answering: a few answers computed at once, a few more waiting,
and beyond that an immediate, polite refusal instead of an ever longer wait."""

from __future__ import annotations

import threading

OVERLOADED = "Hệ thống đang quá tải, vui lòng thử lại sau ít giây."
RETRY_AFTER_S = 2  # a full queue drains in about a second at the measured throughput (eval/bench_load.py)


class Overloaded(RuntimeError):
    """More questions are waiting than the gate allows; ask again after `retry_after_s` seconds."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} questions already waiting")
        self.message, self.retry_after_s = OVERLOADED, RETRY_AFTER_S


class AnswerGate:
    """At most `slots` holders inside at once and at most `queue` waiting; one more raises Overloaded at once.

    Used as a context manager from worker threads (the web app's threadpool, the bots' threads)."""

    def __init__(self, slots: int, queue: int) -> None:
        if slots < 1 or queue < 0:
            raise ValueError(f"a gate needs at least one slot and a queue of 0 or more, got {slots} and {queue}")
        self.slots, self.queue = slots, queue
        self._free = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many holders wait for a slot right now."""
        return self._waiting

    def __enter__(self) -> AnswerGate:
        if self._free.acquire(blocking=False):
            return self
        with self._lock:
            if self._waiting >= self.queue:
                raise Overloaded(self._waiting)
            self._waiting += 1
        try:
            self._free.acquire()
        finally:
            with self._lock:
                self._waiting -= 1
        return self

    def __exit__(self, *exc) -> None:
        self._free.release()
