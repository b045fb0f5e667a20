"""Where a chunk came from, as public responses show it: relative to the folder holding every indexed file (the
ingest root), or the catalogue reference; an absolute server path is never shown to anonymous clients."""

from __future__ import annotations

import os
from pathlib import PurePosixPath, PureWindowsPath
from typing import Iterable

CATALOGUE_FILE = "catalogue.yaml"
# "pages.jsonl.gz#42": a line of a JSONL file (ingest/jsonl.py writes it); "catalogue.yaml#qd-318": a catalogue card
MEMBER_SEPARATOR = "#"


def _file_part(source: str) -> str:
    return source.split(MEMBER_SEPARATOR, 1)[0]


def is_catalogue(source: str) -> bool:
    """True for the knowledge catalogue's document cards."""
    return _file_part(source).replace("\\", "/").endswith("/" + CATALOGUE_FILE) or _file_part(source) == CATALOGUE_FILE


def source_root(sources: Iterable[str]) -> str:
    """The deepest folder holding every indexed file (catalogue cards and URLs aside); "" when there are none."""
    folders = {os.path.dirname(_file_part(s)) for s in sources
               if "://" not in s and not is_catalogue(s) and os.path.isabs(_file_part(s))}
    if not folders:
        return ""
    try:
        root = os.path.commonpath(sorted(folders))
    except ValueError:  # different drives: no common root
        return ""
    return "" if os.path.dirname(root) == root else root  # "/" itself is no root to show paths under


def source_name(source: str) -> str:
    """The file name of a source (officers need the document, not the server's folders); URLs stay whole."""
    if "://" in source:
        return source
    return (PureWindowsPath(source).name if "\\" in source else PurePosixPath(source).name) or source


def public_source(source: str, root: str) -> str:
    """`source` as a client may see it: relative to `root`, the catalogue reference, a URL whole, else a name."""
    if "://" in source:
        return source
    file, sep, member = source.partition(MEMBER_SEPARATOR)
    if is_catalogue(source):
        return CATALOGUE_FILE + sep + member
    if root and os.path.isabs(file) and os.path.commonpath([root, file]) == root:
        return os.path.relpath(file, root).replace(os.sep, "/") + sep + member
    if not os.path.isabs(file) and not PureWindowsPath(file).is_absolute():
        return source
    return source_name(file) + sep + member
