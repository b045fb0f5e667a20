"""`python -m ntm` for crash tests: the hash embedder instead of the model, and a pause at one named moment.

Usage: python tests/crash_child.py MOMENT ingest [ARGS...], with the NTM_* settings in the environment. At MOMENT
the child prints "paused at MOMENT" and waits to be killed (the test sends SIGKILL, like a power cut); everything
else is the real command. The moments (the hooks wrap the embedder and the store, nothing in the product):
  model-load     the model is loading: the store is open and locked, nothing written yet
  mid-embedding  a second batch of passages is about to be embedded: the first is stored, its version not switched
  after-switch   a document's registry row was just switched to its new version; its old chunks are not deleted yet
  between-files  a changed document is completely written; the next file is not read yet
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

from retrieval.embedding import HashEmbedder  # noqa: E402 (after the path is set)
from tests_support import HookedEmbedder  # noqa: E402

MOMENTS = ("model-load", "mid-embedding", "after-switch", "between-files")
UNKILLED_EXIT_S = 120  # a child nobody kills (its test failed) goes away by itself
_chosen: list[str] = []  # the moment to pause at, from the command line


def pause_at(moment: str) -> None:
    """Stop here, visibly, when this is the moment asked for."""
    if moment in _chosen:
        print(f"paused at {moment}", flush=True)
        time.sleep(UNKILLED_EXIT_S)
        sys.exit(f"crash_child: not killed at {moment}")


class LoadingEmbedder(HashEmbedder):
    """The hash embedder, with the real model's loading step as a moment."""

    def warm_up(self) -> None:
        pause_at("model-load")


class PausingStore:
    """The configured store, pausing right after a version switch and after a changed document is written."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def put_document(self, record) -> None:
        self._inner.put_document(record)
        pause_at("after-switch")

    def delete_chunks(self, doc_id: str, keep_version: str | None = None) -> None:
        self._inner.delete_chunks(doc_id, keep_version)
        if keep_version is not None:  # the last step of writing a changed document
            pause_at("between-files")


def main() -> None:
    """Install the hooks, then run `ntm` with the remaining arguments."""
    import ntm.services

    assert sys.argv[1] in MOMENTS, f"unknown moment {sys.argv[1]!r}; one of {MOMENTS}"
    _chosen.append(sys.argv[1])
    open_store = ntm.services.open_store
    ntm.services.open_store = lambda settings: PausingStore(open_store(settings))
    embedder = HookedEmbedder(LoadingEmbedder(), before_batch=lambda e: e.calls == 1 and pause_at("mid-embedding"))
    ntm.services.build_embedder = lambda settings: embedder
    sys.argv = ["ntm", *sys.argv[2:]]
    runpy.run_module("ntm", run_name="__main__")


if __name__ == "__main__":
    main()
