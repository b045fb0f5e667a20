"""Test doubles shared by several test modules."""

from __future__ import annotations

from typing import Callable


class HookedEmbedder:
    """Wraps an embedder, counts calls and passages, and runs a hook before each passage batch."""

    def __init__(self, inner, before_batch: Callable[["HookedEmbedder"], None] | None = None) -> None:
        self.inner, self.before_batch = inner, before_batch
        self.name, self.dim = inner.name, inner.dim
        self.calls = self.passages = 0

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        if self.before_batch is not None:
            self.before_batch(self)  # may raise (a crash) or let another process act mid-write
        self.calls += 1
        self.passages += len(texts)
        return self.inner.embed_passages(texts)


class FakeChatModel:
    """ChatModel double: returns canned replies in turn (or raises them) and records what it was sent."""

    def __init__(self, *replies: str | Exception) -> None:
        self.name = "fake"
        self.replies = list(replies)
        self.calls: list[tuple[list[dict[str, str]], float]] = []

    def complete(self, messages: list[dict[str, str]], timeout: float) -> str:
        self.calls.append((messages, timeout))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply
