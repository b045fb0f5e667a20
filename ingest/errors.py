"""The one error type for a file that cannot be ingested, with a reason an operator can act on."""

from __future__ import annotations

# Reason codes, so reports can group skipped files.
NOT_FOUND = "not_found"
EMPTY = "empty"
UNSUPPORTED = "unsupported"
CORRUPT = "corrupt"
ENCRYPTED = "encrypted"
NEEDS_OCR = "needs_ocr"
TOO_LARGE = "too_large"
ENCODING = "encoding"
MALFORMED = "malformed"  # a JSONL line that is not a document object
DUPLICATE = "duplicate"


class IngestError(Exception):
    """A file was skipped; `code` is one of the reason codes above, `reason` is English for operators."""

    def __init__(self, source: str, code: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.code = code
        self.reason = reason
