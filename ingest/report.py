"""What an ingest run reports: progress of its steps as they happen (JSONL lines, a file's chunks), then what it
did (documents added, updated or unchanged, chunks written, files skipped and why)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice, repeat

from retrieval.store import DocRecord

# (items, total, name) -> the same items, e.g. wrapped in a tqdm bar; the pipeline pulls an item per step done.
Steps = Callable[[Iterable, int, str], Iterable]


def no_steps(items: Iterable, total: int, name: str) -> Iterable:
    """The silent hook: the items themselves."""
    return items


@contextmanager
def advancing(steps: Steps, total: int, name: str) -> Iterator[Callable[[int], None]]:
    """`steps` over `total` units as a callback that advances it by n; the wrapper is closed on leaving."""
    wrapped = steps(repeat(None, total), total, name)
    ticks = iter(wrapped)
    try:
        yield lambda n: deque(islice(ticks, n), maxlen=0)  # pulls n items, keeping none
    finally:
        close = getattr(wrapped, "close", None)  # a bar is cleared, even when the write fails
        if close is not None:
            close()


@dataclass
class IngestReport:
    """What one `ntm ingest` run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (source, code, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (source, what the loader noticed)
    missing: list[str] = field(default_factory=list)  # indexed from a given folder, file now gone
    pruned: list[str] = field(default_factory=list)  # of those, removed from the index (--prune)
    cleaned_versions: int = 0

    @property
    def documents(self) -> int:
        """Documents indexed or confirmed up to date."""
        return len(self.added) + len(self.updated) + len(self.unchanged)

    @property
    def wrote(self) -> bool:
        """True when the run wrote or removed points (the store then needs optimising)."""
        return bool(self.added or self.updated or self.cleaned_versions)

    def count(self, source: str, outcome: str, record: DocRecord) -> None:
        """Record one document's outcome ("added" | "updated" | "unchanged")."""
        getattr(self, outcome).append(source)
        self.chunks += record.chunk_count if outcome != "unchanged" else 0
