"""The abbreviations officers type (knowledge/abbreviations.yaml) and what they stand for."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge import ABBREVIATIONS_PATH
from knowledge.text import fold, nfc


def load_abbreviations(path: Path = ABBREVIATIONS_PATH) -> dict[str, str]:
    """Abbreviation table keyed by the folded upper-case form ("DBSCL" → "Đồng bằng sông Cửu Long")."""
    if not path.exists():
        return {}
    raw = yaml.safe_load(nfc(path.read_text(encoding="utf-8"))) or {}  # the file is an entry point: NFC here
    return {fold(str(k)).upper(): str(v) for k, v in (raw.get("abbreviations") or {}).items()}
