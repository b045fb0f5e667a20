"""`ntm eval`: run a Q&A set against the system, compare two runs, refresh the README's results table.

The `ntm` command mounts this group through the `ntm.commands` entry point (pyproject.toml), so `ntm` never
imports `eval` while `eval` uses `ntm`'s services."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ntm.settings import Settings

eval_app = typer.Typer(no_args_is_help=True, help="Evaluation on Q&A sets: run, compare, README table.")


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


@eval_app.command("run")
def eval_run(
    dataset: Path = typer.Option(..., "--dataset", help="A JSONL set (eval/dataset.py format) or an ALQAC folder."),
    corpus: List[Path] = typer.Option(None, "--corpus", help="Folders to index (JSONL sets); expected sources "
                                                            "are paths relative to their common parent."),
    modes: str = typer.Option("hybrid,sparse,dense", help="Comma-separated: hybrid, sparse, dense, llm."),
    out: Optional[Path] = typer.Option(None, help="Report folder (default data/eval/runs/<set>-<time>)."),
    limit: Optional[int] = typer.Option(None, help="Only the first N questions."),
    work_dir: Path = typer.Option(Path("data/eval"), help="Where indexes are built and reused."),
    index: Optional[Path] = typer.Option(None, "--index", help="Run on this existing data dir (e.g. one that also "
                                         "holds the tvpl pages as distractors); --corpus is ingested into it."),
) -> None:
    """Index the corpus (or reuse it), ask every question in each mode, write JSON, Markdown and PNG plots."""
    from datetime import datetime

    from eval.runner import run, save

    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in wanted if m not in ("hybrid", "sparse", "dense", "llm")]
    if bad or not wanted:
        _fail(f"unknown mode(s) {bad or modes!r}; use hybrid, sparse, dense, llm")
    if not dataset.exists():
        _fail(f"dataset {dataset} does not exist")
    is_alqac = dataset.is_dir()
    if not is_alqac and not corpus:
        _fail("give the folders the dataset's sources live in with --corpus DIR (repeatable)")
    for folder in corpus or []:
        if not folder.is_dir():
            _fail(f"--corpus {folder} is not a folder")
    settings = Settings()
    if "llm" in wanted and not (settings.llm_base_url or settings.llm_gguf):
        typer.echo("note: no LLM configured (NTM_LLM_BASE_URL / NTM_LLM_GGUF); the llm mode is skipped", err=True)
    if index is not None and not (index / "qdrant").is_dir():
        _fail(f"--index {index} holds no index (no qdrant/ folder); give an NTM_DATA_DIR that was ingested")
    results = run(dataset, corpus or [], settings, modes=wanted, work_dir=work_dir, limit=limit, index_dir=index)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = out or work_dir / "runs" / f"{dataset.stem}-{stamp}"
    save(results, folder)
    main_mode = results["run"]["main_mode"]
    overall = results["summary"][main_mode]["overall"]
    shown = ", ".join(f"{k} {v:.3f}" for k, v in overall.items() if isinstance(v, float))
    typer.echo(f"{len(results['questions'])} questions, modes {', '.join(results['run']['modes'])}; "
               f"{main_mode}: {shown}")
    typer.echo(f"report: {folder / 'summary.md'}")


@eval_app.command("compare")
def eval_compare(a: Path = typer.Argument(..., help="Report folder or results.json (before)."),
                 b: Path = typer.Argument(..., help="Report folder or results.json (after).")) -> None:
    """What changed between two runs, overall and question by question."""
    from eval.compare import compare
    from eval.runner import load_results

    for path in (a, b):
        if not path.exists():
            _fail(f"{path} does not exist")
    try:
        typer.echo(compare(load_results(a), load_results(b)))
    except (ValueError, KeyError) as err:
        _fail(f"not a results.json of `ntm eval run`: {err}")


@eval_app.command("readme")
def eval_readme(reports: List[Path] = typer.Argument(..., help="Report folders to show (dev set, ALQAC)."),
                readme: Path = typer.Option(Path(__file__).resolve().parents[1] / "README.md")) -> None:
    """Rewrite the README's results table from report folders (between the eval markers)."""
    from eval.readme import update_readme
    from eval.runner import load_results

    try:
        update_readme(readme, [load_results(r) for r in reports])
    except ValueError as err:
        _fail(str(err))
    typer.echo(f"updated {readme}")
