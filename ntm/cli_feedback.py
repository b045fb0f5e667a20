"""`ntm feedback`: export the conversation and feedback log for evaluators."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Iterable, Optional

import typer

from ntm.settings import Settings

feedback_app = typer.Typer(no_args_is_help=True, help="The conversation and feedback log (all channels).")

FORMATS = ("csv", "jsonl", "qa-draft")
RATINGS = {"up": 1, "down": -1}


def qa_drafts(rows: Iterable[dict], out: IO[str]) -> int:
    """Rated exchanges as draft eval items (eval/datasets format): an evaluator fills the answer facts."""
    count = 0
    for r in rows:
        item = {"id": f"fb-{r['exchange_id']}", "question": r["question"], "category": "feedback",
                "expected_sources": sorted({c["source"] for c in r["citations"]}), "answer_facts": [],
                "answerable": None, "reference_answer": "",
                # Kept for the evaluator, removed when the item is finished (the loader rejects unknown keys).
                "draft": {"bot_answer": r["answer"], "rating": r["rating"], "comment": r["comment"],
                          "channel": r["channel"], "ts": r["ts"]}}
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count


@feedback_app.command("export")
def export_cmd(
    fmt: str = typer.Option("csv", "--format", help="csv | jsonl | qa-draft (rated exchanges as draft eval items)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default: standard output)."),
    rated_only: bool = typer.Option(False, "--rated-only", help="Only exchanges somebody rated."),
    rating: Optional[str] = typer.Option(None, "--rating", help="Only 'up' (👍) or 'down' (👎) ratings."),
) -> None:
    """Write every question, answer, citations, channel, pseudonymous user and rating, oldest first."""
    from bot.conversations import ConversationLog, export

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if rating is not None and rating not in RATINGS:
        _fail(f"--rating {rating!r}: use 'up' or 'down'")
    db = Settings().conversations_db
    if not db.exists():
        _fail(f"no conversation log at {db} (nothing has been asked yet, or NTM_DATA_DIR points elsewhere)")
    log = ConversationLog(db)
    try:
        rows = log.rows(rated_only=rated_only or fmt == "qa-draft", rating=RATINGS.get(rating))
        handle = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            count = qa_drafts(rows, handle) if fmt == "qa-draft" else export(rows, handle, fmt)
        finally:
            if out:
                handle.close()
    finally:
        log.close()
    if out:
        typer.echo(f"{count} rows written to {out}", err=True)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)
