"""Whether a document is about the New Rural Development programme (NTM): the fact search uses to rank the
programme's own documents above general pages indexed beside them (a national legal corpus, an encyclopedia).

A document is about the programme when it is a catalogue card, when its number is a central document of the
catalogue (a decree on target programmes or the OCOP decision need not name NTM; local numbers such as
03/KH-UBND repeat across provinces, so they do not count), or when it names the programme often enough for its
length. A general page that names it in passing (a province's encyclopedia article, a speech) is not.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.text import fold

MENTIONS_KEY = "programme_mentions"  # registry facts: how often a document names the programme...
CHARS_KEY = "text_chars"  # ...and how long its text is
# About the programme: named at least once per this many characters. Every NTM text the project holds does
# (the sparsest, a 12,446-character article on re-arranging communes, names it 3 times) except two catalogued
# decisions that never name it; of the 93 distractor pages naming it, 76 fall below (1 per 4,800 or fewer).
CHARS_PER_MENTION = 5000
# The programme's name and its abbreviation, on folded text ("Nông thôn mới", "nong thon moi", "NTM"), the name
# also when a line break or a double space falls inside it (common in text taken from PDF).
_NAMES = re.compile(r"\bnong\s+thon\s+moi\b|\bntm\b")


def programme_mentions(text: str) -> int:
    """How many times a text names the programme ("nông thôn mới", "NTM"), with or without diacritics."""
    return len(_NAMES.findall(fold(text)))


def programme_facts(title: str | None, text: str) -> dict[str, int]:
    """The registry facts on-programme tests read: mentions in the title and text, and the text's length."""
    return {MENTIONS_KEY: programme_mentions(f"{title or ''}\n{text}"), CHARS_KEY: len(text)}


def on_programme(meta: Mapping, catalogue: Sequence[CatalogueEntry]) -> bool | None:
    """True for a programme document, False for one that is not, None for a registry row written before the
    facts were recorded (nothing known: no prior either way)."""
    mentions, chars = meta.get(MENTIONS_KEY), meta.get(CHARS_KEY)
    if meta.get("kind") == "catalogue" or (mentions and mentions * CHARS_PER_MENTION >= (chars or 0)):
        return True
    if entry_for(catalogue, meta.get("number")):  # the costlier test, for the rest only
        return True
    return None if mentions is None or chars is None else False
