"""Retrieval: embedding model, sparse Vietnamese terms, the vector store and search."""
