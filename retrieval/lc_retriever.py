"""LangChain adapter: the project's search as a `BaseRetriever`, for chains and agents built on LangChain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.evidence import location_of
from retrieval.search import SearchResult


def to_document(result: SearchResult) -> Document:
    """A search result as a LangChain Document: chunk text plus everything needed to cite it."""
    return Document(
        page_content=result.text,
        id=result.chunk_id or None,
        metadata={
            "doc_id": result.doc_id,
            "number": result.number,
            "title": result.title,
            "path": result.path,
            "page": result.page,
            "source": result.source,
            "score": result.score,
            "chunk_id": result.chunk_id,
            "status": result.status,
            "location": location_of(result.path, result.page),
        },
    )


class NTMRetriever(BaseRetriever):
    """Top-k chunks from a `retrieval.search.Searcher` (hybrid, dense or sparse), as Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any  # retrieval.search.Searcher; Any keeps pydantic from inspecting it
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        # Searcher raises ValueError on an empty query or unknown mode; LangChain reports it to the callbacks.
        return [to_document(r) for r in self.searcher.search(query, limit=self.k, mode=self.mode)]
