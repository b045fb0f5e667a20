"""Shared domain vocabulary, below retrieval and ingest: the document catalogue (entries, number keys,
statuses over time, cards), Vietnamese dates, document-type words, abbreviations and text primitives.

The YAML files beside this package are the facts; the modules here read and interpret them.
"""

from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
CATALOGUE_PATH = KNOWLEDGE_DIR / "catalogue.yaml"
ABBREVIATIONS_PATH = KNOWLEDGE_DIR / "abbreviations.yaml"
