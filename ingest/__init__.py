"""Ingestion: load files, normalise Vietnamese text, chunk by legal structure, index into Qdrant."""
