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

MB = 1_000_000  # the one unit sizes are shown and set in: MB = 10^6 bytes (not MiB), in messages and NTM_MAX_FILE_MB
# Files over this are refused unless NTM_MAX_FILE_MB is raised: a 10 MB text is ~12,300 chunks, about 10 minutes
# of embedding on 2 cores at 17-25 chunks/s, linear in size (eval/bench_filesize.py; 50 MB would take about 50).
DEFAULT_MAX_FILE_MB = 10
DEFAULT_MAX_BYTES = DEFAULT_MAX_FILE_MB * MB


def megabytes(size: int, over: int | None = None) -> str:
    """`size` bytes in MB; when it is `over` a limit, truncated to the decimals that show it is bigger."""
    if over is None:
        return f"{size / MB:.6f}".rstrip("0").rstrip(".")
    for places in range(1, 7):  # at 6 places a byte shows, so a bigger size always shows bigger
        shown = size // 10 ** (6 - places)
        if shown * 10 ** (6 - places) > over:
            break
    return f"{shown // 10 ** places}.{shown % 10 ** places:0{places}d}"


def too_large(what: str, size: int, limit: int) -> str:
    """The reason for refusing something over a size limit, both sizes in MB."""
    return f"{what} is {megabytes(size, over=limit)} MB, over the {megabytes(limit)} MB limit (MB = 10^6 bytes)"


class IngestError(Exception):
    """A file was skipped; `code` is one of the reason codes above, `reason` is English for operators."""

    def __init__(self, source: str, code: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.code = code
        self.reason = reason
