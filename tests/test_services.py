"""Status of ingested documents comes from the catalogue only where the number identifies one document."""

from __future__ import annotations

import pytest

from ntm.services import _status_lookup, load_knowledge
from ntm.settings import Settings


def test_central_numbers_take_the_catalogue_status_local_ones_do_not():
    status_of = _status_lookup(load_knowledge(Settings())[0])
    assert status_of("318/QĐ-TTg") == "replaced"
    assert status_of("318/QD-TTg") == "replaced"  # typed without diacritics
    # a provincial plan number could belong to any province
    assert status_of("1320/KH-UBND") == "unknown"
    assert status_of(None) == "unknown" and status_of("999999/XX-YY") == "unknown"


def test_embedding_precision_setting_accepts_the_three_choices_only(monkeypatch) -> None:
    import pydantic

    from ntm.settings import Settings

    monkeypatch.setenv("NTM_EMBED_PRECISION", "bf16")
    assert Settings(_env_file=None).embed_precision == "bf16"
    monkeypatch.setenv("NTM_EMBED_PRECISION", "int4")
    with pytest.raises(pydantic.ValidationError, match="auto|fp32|bf16"):
        Settings(_env_file=None)
