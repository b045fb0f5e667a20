"""Bytes to text for the loaders: UTF-8/16/32 or a legacy Vietnamese encoding, control characters removed."""

from __future__ import annotations

import codecs

from ingest import errors
from ingest.errors import IngestError
from ingest.textnorm import decode_tcvn3, strip_controls
from knowledge.syllables import looks_vietnamese
from knowledge.text import nfc


def decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text: UTF-8 (BOM or not), UTF-16/32 with BOM, else a legacy encoding that reads as Vietnamese."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode("utf-8-sig" if codec == "utf-8" else codec), []
            except UnicodeDecodeError as exc:
                raise IngestError(source, errors.ENCODING, f"has a {codec.upper()} byte-order mark but invalid "
                                  f"{codec.upper()} at byte {exc.start}; re-save it as UTF-8") from None
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if b"\x00" in data:
        raise IngestError(source, errors.ENCODING, "binary data (NUL bytes), not text; if it is text, "
                          "re-save it as UTF-8")
    # cp1258 stores tones as combining marks; NFC (in looks_vietnamese and later) composes them.
    candidates = [("cp1258", lambda: data.decode("cp1258")), ("TCVN3 (ABC)", lambda: decode_tcvn3(data))]
    for name, decode in candidates:
        try:
            text = nfc(decode())
        except UnicodeDecodeError:
            continue
        if looks_vietnamese(text):
            return text, [f"decoded as {name}"]
    bad = data.decode("utf-8", errors="replace").count("\ufffd")
    if bad <= max(2, len(data) // 2000):  # a stray byte in a UTF-8 file: keep the rest
        return data.decode("utf-8", errors="replace"), [f"{bad} invalid UTF-8 byte(s) replaced"]
    from charset_normalizer import from_bytes

    for match in list(from_bytes(data))[:5]:
        text = nfc(str(match))
        if looks_vietnamese(text):
            return text, [f"decoded as {match.encoding}"]
    raise IngestError(source, errors.ENCODING, f"is not UTF-8 (invalid byte at {first_bad}) and does not read as "
                      "Vietnamese in Windows-1258, TCVN3 (ABC) or other legacy encodings; re-save it as UTF-8")


def remove_controls(text: str, source: str, warnings: list[str]) -> str:
    """Text without control characters (NUL, ESC, ...), noting how many went; mostly control = binary."""
    cleaned, removed = strip_controls(text)
    if not removed:
        return cleaned
    # Valid UTF-8 can still be binary (or UTF-16 without a BOM): a text with so many controls is not text.
    if removed > max(16, len(text) // 10):
        raise IngestError(source, errors.ENCODING, f"binary data ({removed} control characters in "
                          f"{len(text)}), not text; if it is text, re-save it as UTF-8")
    warnings.append(f"removed {removed} control character(s)")
    return cleaned
