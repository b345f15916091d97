"""Two versions of Sitrep side by side: reads, POSTs and batch POSTs, and the CPU they cost.

    python -m bench.compare BEFORE AFTER --database FILE [--rounds 6] [--connections 8]

BEFORE and AFTER are checkouts, each with its own virtualenv in ``.venv``; for a commit:
``git worktree add ../before REV && cd ../before && python3 -m venv .venv &&
.venv/bin/pip install -e .``. Each serves a copy of FILE (a database the suite left, such
as ``bench/work/sitrep.db``) with 2 workers. First each serves the suite's reads A-D and
a ``GET`` by id to ``wrk -t2 -c16``, in turn round by round. Then in each round both
servers take the suite's POST from ``wrk -t1`` at the same time, so that both meet the
same machine: run one after the other, rounds on this machine differed by more than the
changes being measured (docs/performance-log.md, twenty-ninth session). Then each posts
10,000 events in batches of 1,000 from 2 clients, in turn. Writes a Markdown report.

The two checkouts may be one commit in two virtualenvs of different interpreters, to
measure the interpreter (docs/performance.md, "The interpreter").
"""

import argparse
import shutil
import statistics
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.run import (
    READS,
    batch_posts,
    cpu_seconds,
    create_key,
    interleaved,
    new_events,
    post_script,
    server,
    settle,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--database", type=Path, required=True, help="a SQLite database to copy")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8, help="per server")
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    rounds: dict[str, list[dict]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as work, ExitStack() as stack:
        servers, scripts, keys, databases = {}, {}, {}, []
        for name, checkout in checkouts.items():
            database = Path(work) / f"{name}.db"
            databases.append(database)
            shutil.copyfile(args.database, database)
            env = {"SITREP_DATABASE_URL": f"sqlite:///{database}"}
            sitrep = checkout / ".venv" / "bin" / "sitrep"
            keys[name] = create_key(env, sitrep)
            scripts[name] = stack.enter_context(post_script(keys[name]))
            command = [str(sitrep), "serve", "--port", "{port}", "--workers", "2"]
            servers[name] = stack.enter_context(server(command, env, "/readyz", cwd=checkout))
        pid_of = {name: pid for name, (_, pid) in servers.items()}
        pids = list(pid_of.values())
        # Before any POST, while both copies hold the same events.
        event_id = httpx.get(servers["before"][0] + READS["A"]).json()["items"][0]["id"]
        reads = {**READS, "G_get": f"/v1/events/{event_id}"}
        read_medians = {
            scenario: interleaved(
                {name: base + path for name, (base, _) in servers.items()},
                rounds=args.rounds,
                duration=args.duration,
                connections=16,
                pids=pid_of,
                cached=databases,
            )
            for scenario, path in reads.items()
        }
        for _ in range(args.rounds):
            settle(pids)
            for name, figures in _posting_together(servers, scripts, args).items():
                rounds[name].append(figures)
        events = new_events(10_000)
        for index in range(args.rounds):
            order = list(checkouts) if index % 2 == 0 else list(checkouts)[::-1]
            for name in order:
                settle(pids)
                base, pid = servers[name]
                rounds[name][index]["batch"] = batch_posts(base, keys[name], events, pid)
    print(_markdown(rounds, args))
    print(_reads_markdown(read_medians))


def _posting_together(
    servers: dict[str, tuple[str, int]], scripts: dict[str, Path], args: argparse.Namespace
) -> dict[str, dict]:
    """Both servers POSTed to at once; each one's wrk figures and CPU a POST (µs)."""
    before = {name: cpu_seconds(pid) for name, (_, pid) in servers.items()}
    results: dict[str, dict] = {}

    def post(name: str) -> None:
        results[name] = wrk(
            f"{servers[name][0]}/v1/events",
            duration=args.duration,
            connections=args.connections,
            script=scripts[name],
            threads=1,
        )

    threads = [threading.Thread(target=post, args=(name,)) for name in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, (_, pid) in servers.items():
        spent = cpu_seconds(pid) - before[name]
        results[name]["cpu_us"] = round(1e6 * spent / max(results[name]["requests"], 1))
    return results


def _markdown(rounds: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.rounds} rounds; POSTs from `wrk -t1 -c{args.connections}` on both servers at "
        "once; batch POSTs (10,000 events, 2 clients) in turn, with the busiest worker's "
        "share of the work.",
        "",
        "| | POSTs/s | server CPU a POST (µs) | p99 ms | batch POSTs events/s |",
        "|---|---|---|---|---|",
    ]
    for name, runs in rounds.items():
        posts = ", ".join(f"{r['rps']:,.0f}" for r in runs)
        cpu = ", ".join(f"{r['cpu_us']:,}" for r in runs)
        p99 = ", ".join(f"{r['p99']:.1f}" for r in runs)
        batches = ", ".join(
            f"{r['batch']['events_per_s']:,} ({r['batch']['busiest_worker']:.0%})" for r in runs
        )
        lines.append(f"| {name} | {posts} | {cpu} | {p99} | {batches} |")
    for name, runs in rounds.items():
        lines.append(
            f"| {name}, median | {statistics.median(r['rps'] for r in runs):,.0f} "
            f"| {statistics.median(r['cpu_us'] for r in runs):,.0f} "
            f"| {statistics.median(r['p99'] for r in runs):.1f} "
            f"| {statistics.median(r['batch']['events_per_s'] for r in runs):,.0f} |"
        )
    return "\n".join(lines)


def _reads_markdown(medians: dict[str, dict[str, dict]]) -> str:
    lines = [
        "",
        "Reads, the median of the rounds: requests/s (server CPU a request, ms).",
        "",
        "| scenario | before | after | after/before req/s |",
        "|---|---|---|---|",
    ]
    for scenario, by_name in medians.items():
        before, after = by_name["before"], by_name["after"]
        lines.append(
            f"| {scenario} | {before['rps']:,.0f} ({before['cpu_ms']:.2f})"
            f" | {after['rps']:,.0f} ({after['cpu_ms']:.2f})"
            f" | {after['rps'] / before['rps']:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
