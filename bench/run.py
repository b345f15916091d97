"""Sitrep's benchmark suite: one command, peers measured in the same run.

    python -m bench.run --events 1000000 [--postgres URL]

Generates N events (bench/generate.py), loads them through ``sitrep import``, loads the same
rows into a flat table for Datasette (with sqlite-utils), starts Sitrep, Datasette and the
bare-metal ceiling (bench/ceiling.py) and measures scenarios A-G with ``wrk`` at fixed
concurrency, alternating Sitrep and each peer round by round; the import has its own
ceiling (bench/import_ceiling.py). Writes a Markdown report.

Every server runs on the interpreter that runs the suite, which the report names: its build
moved Sitrep's reads, POSTs and import by up to a fifth (docs/performance.md, "The
interpreter").
"""

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import httpx
import orjson
import psutil
import sqlite_utils

from app.services.importer import DEFAULT_CHUNK_SIZE
from bench import import_ceiling
from bench.generate import END
from bench.generate import events as generate_events

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MONTH = ("2024-03-01", "2024-03-31")
FRONT_BOX = "35.0,48.0,38.5,50.5"  # Kharkiv to Zaporizhzhia
READS = {  # scenarios A-D, by path
    "A": f"/v1/events?country=UA&date_from={MONTH[0]}&date_to={MONTH[1]}&limit=100",
    "B": f"/v1/events?bbox={FRONT_BOX}&date_from={MONTH[0]}&date_to={MONTH[1]}&limit=100",
    "C": f"/v1/events?near=Kharkiv&radius_km=25&date_from={MONTH[0]}&date_to={MONTH[1]}&limit=100",
    "D": "/v1/stats?interval=week&group_by=admin1&country=UA"
    "&date_from=2024-01-01&date_to=2024-12-31",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    args: list[str], env: dict[str, str], ready_path: str, cwd: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """Start a server process in ``cwd``; yields (base URL, pid) once ``ready_path`` answers
    200. uvicorn imports the app from its working directory first, whichever virtualenv
    ran it, so a checkout's server must start in that checkout (``bench/compare.py``)."""
    port = free_port()
    command = [arg.replace("{port}", str(port)) for arg in args]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                if httpx.get(base + ready_path, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.3)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(
    url: str, *, duration: int, connections: int, script: Path | None = None, threads: int = 2
) -> dict:
    """Requests/s, p50 and p99 (ms) from ``wrk --latency``; non-2xx answers are an error."""
    # A long timeout, so slow answers count as slow rather than vanish as errors.
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "60s",
        "--latency",
    ]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors from {url}:\n{out}")

    def ms(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "requests": requests}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the server's processes have used so far."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return float(sum(p.cpu_times().user + p.cpu_times().system for p in processes))


def settle(pids: Iterable[int], *, timeout: float = 120) -> None:
    """Wait until these servers are idle (under a tenth of a core for half a second).

    wrk stops waiting at the end of a run, not the server: Datasette with its counts and
    facets on kept working through the pages wrk had given up on (about 2 s of a core),
    into whatever was measured next.
    """
    servers = list(pids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in servers)
        time.sleep(0.5)
        if sum(cpu_seconds(pid) for pid in servers) - before < 0.05:
            return


def interleaved(
    urls: dict[str, str],
    *,
    rounds: int,
    duration: int,
    connections: int,
    pids: dict[str, int],
    others: Sequence[int] = (),
    cached: Sequence[Path] = (),
    script: Path | None = None,
) -> dict[str, dict]:
    """Each URL measured ``rounds`` times, in turn; the median round of each, with every
    round's p99 (``p99_rounds``). Before each run, the servers (``pids``, by URL name, and
    ``others``) have finished the last. ``script``: wrk's Lua script, for every URL.

    For the servers in ``pids``, also their median CPU time per request (``cpu_ms``): wrk
    shares the cores with the servers, so requests/s also moves with whatever else runs,
    while a server's own CPU per request shows what its layers cost.
    """
    results: dict[str, list[dict]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            read_into_cache(cached)
            settle({*pids.values(), *others})
            pid = pids.get(name)
            before = cpu_seconds(pid) if pid else 0.0
            result = wrk(url, duration=duration, connections=connections, script=script)
            if pid:  # no request answered in the round: its CPU per request is unbounded
                spent = 1000 * (cpu_seconds(pid) - before)
                result["cpu_ms"] = spent / result["requests"] if result["requests"] else math.inf
            results[name].append(result)
    medians: dict[str, dict] = {}
    for name, runs in results.items():
        medians[name] = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        medians[name]["p99_rounds"] = [r["p99"] for r in runs]
        if "cpu_ms" in runs[0]:
            medians[name]["cpu_ms"] = sorted(r["cpu_ms"] for r in runs)[len(runs) // 2]
    return medians


def read_into_cache(paths: Iterable[Path]) -> None:
    """Read the SQLite files whole before a run, so that it measures serving from the page
    cache: this machine's kernel pages out what was not touched for a while (DAMON
    reclaim), and a database left idle through the scenarios before was read from disk
    again (the export at 3,916 rows/s, batch POSTs at 221 events/s; docs/performance-log.md)."""
    for path in paths:
        with path.open("rb") as file:
            while file.read(1 << 24):
                pass


def flat_table(source: Path, target: Path) -> None:
    """The generated events as Datasette would publish them: one flat row each."""
    db = sqlite_utils.Database(target, recreate=True)

    def rows() -> Iterator[dict]:
        with source.open("rb") as handle:
            for line in handle:
                e = orjson.loads(line)
                loc = e["location"]
                killed = [
                    c["count"]
                    for c in e["casualties"]
                    if c["kind"] == "killed" and c.get("group", "all") == "all"
                ]
                yield {
                    "id": e["external_id"],
                    "title": e["title"],
                    "event_type": e["event_type"],
                    "sub_event_type": e["sub_event_type"],
                    "occurred_on": e["occurred_on"],
                    "location": loc["name"],
                    "admin1": loc["admin1"],
                    "country": loc["country"],
                    "latitude": loc["latitude"],
                    "longitude": loc["longitude"],
                    "fatalities": min(killed) if killed else None,
                }

    db["events"].insert_all(rows(), pk="id", batch_size=10_000)
    db["events"].create_index(["country", "occurred_on"])
    db["events"].create_index(["occurred_on"])


def peak_rss_mb(pid: int) -> float:
    """Largest resident set of the server's processes so far (VmHWM), in MB."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    peaks = []
    for process in processes:
        status = Path(f"/proc/{process.pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    return max(peaks)


def csv_export(base: str, pid: int) -> dict:
    """The whole CSV export, twice: the first pass reads what the OS does not hold in its
    page cache (after an import, much of a large database), the second mostly from it."""
    rates = []
    for _ in range(2):
        started, rows = time.perf_counter(), -1
        with httpx.stream("GET", f"{base}/v1/events?format=csv", timeout=None) as response:
            for chunk in response.iter_bytes():
                rows += chunk.count(b"\n")
        rates.append(rows / (time.perf_counter() - started))
    return {"rows": rows, "rows_per_s": rates, "peak_rss_mb": peak_rss_mb(pid)}


def speeds(e: dict[str, list[float]]) -> str:
    return " then ".join(f"{speed:,.0f}" for speed in e["rows_per_s"])


def batch_posts(base: str, key: str, lines: list[bytes], pid: int, clients: int = 2) -> dict:
    """Events/s posting ``lines`` in batches of 1000 from ``clients`` threads, and the
    share of the server's CPU its busiest worker spent (``busiest_worker``).

    Sitrep's parent process hands connections to its workers in turn (``app.workers``),
    so the two clients' work is shared: a share near 0.5. Near 1.0 says one worker did it
    all on one core, as two keep-alive clients often made uvicorn's own workers do
    (docs/performance.md).
    """
    batches = [lines[i : i + 1000] for i in range(0, len(lines), 1000)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(mine: list[list[bytes]]) -> None:
        with httpx.Client(timeout=120) as client:
            for batch in mine:
                body = b'{"events":[' + b",".join(batch) + b"]}"
                response = client.post(f"{base}/v1/events/batch", content=body, headers=headers)
                response.raise_for_status()

    workers = psutil.Process(pid).children() or [psutil.Process(pid)]
    before = [cpu_seconds(worker.pid) for worker in workers]
    started = time.perf_counter()
    threads = [threading.Thread(target=post, args=(batches[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    spent = [cpu_seconds(worker.pid) - b for worker, b in zip(workers, before, strict=True)]
    return {
        "events_per_s": round(len(lines) / elapsed),
        "busiest_worker": round(max(spent) / sum(spent), 2) if sum(spent) else 1.0,
    }


POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer KEY"
wrk.body = BODY
"""


@contextmanager
def post_script(key: str) -> Iterator[Path]:
    """A wrk script POSTing one generated event with ``key`` (G's POST), removed after."""
    body = json.dumps(orjson.loads(generate_events(1, seed=99)[0]) | {"external_id": None})
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(POST_SCRIPT.replace("KEY", key).replace("BODY", json.dumps(body)))
        script.flush()
        yield Path(script.name)


def new_events(count: int) -> list[bytes]:
    """Generated events without their external ids, so that each can be posted again."""
    return [
        orjson.dumps(orjson.loads(line) | {"external_id": None})
        for line in generate_events(count, seed=7)
    ]


# New reports are dated within the generated data's last days (``new_reports``).
NEW_REPORT_DAYS = 14


def new_reports(events: list[bytes]) -> list[bytes]:
    """``events`` dated within the generated data's last ``NEW_REPORT_DAYS`` days, as a
    newsroom's reports of the latest fighting are: their index entries gather at the end
    of each date-ordered index, where a backfill's land at random (docs/performance.md)."""
    rng = random.Random(7)
    return [
        orjson.dumps(
            orjson.loads(event)
            | {"occurred_on": str(END - timedelta(days=rng.randrange(NEW_REPORT_DAYS)))}
        )
        for event in events
    ]


def run_sqlite(args: argparse.Namespace, work: Path, data: Path, report: dict) -> None:
    db_path = work / "sitrep.db"
    url = f"sqlite:///{db_path}"
    env = {"SITREP_DATABASE_URL": url}
    report["import"] = loaded(args, work / "import-sqlite.json", url, data, ceiling_of=db_path)
    print(f"import: {report['import']}", file=sys.stderr)
    flat = work / "flat.db"
    if not (args.reuse and flat.exists()):
        flat_table(data, flat)
    key = create_key(env)
    cached = [db_path, flat]
    measure(args, env, key, report, peers=True, ceiling_db=db_path, flat=flat, cached=cached)


def loaded(
    args: argparse.Namespace, record: Path, url: str, data: Path, ceiling_of: Path | None = None
) -> dict:
    """Import the events, or with ``--reuse`` keep the last import and its figures; with
    ``ceiling_of`` (the SQLite database imported into), measure the import's ceiling too."""
    if args.reuse and record.exists():
        upgrade(url)
        return dict(json.loads(record.read_text()))
    figures = import_events(url, data)
    if ceiling_of:
        figures["ceiling"] = import_ceiling_of(ceiling_of)
        figures["ceiling_bulk"] = import_ceiling_of(ceiling_of, bulk=True)
    record.write_text(json.dumps(figures))
    return figures


def upgrade(url: str) -> None:
    """Migrate the database at ``url`` (an empty one gets Sitrep's schema)."""
    subprocess.run(
        [BIN / "sitrep", "db", "upgrade"],
        env={**os.environ, "SITREP_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


def import_events(url: str, data: Path) -> dict:
    upgrade(url)
    started = time.perf_counter()
    subprocess.run(
        [BIN / "sitrep", "import", str(data), "--chunk-size", str(DEFAULT_CHUNK_SIZE)],
        env={**os.environ, "SITREP_DATABASE_URL": url},
        check=True,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    count = sum(1 for _ in data.open("rb"))
    return {"events": count, "seconds": round(elapsed, 1), "events_per_s": round(count / elapsed)}


def import_ceiling_of(db_path: Path, *, bulk: bool = False) -> dict:
    """bench/import_ceiling.py into an empty database beside ``db_path``, removed after."""
    target = db_path.with_name("import-ceiling.db")
    upgrade(f"sqlite:///{target}")
    try:
        return import_ceiling.measure(db_path, target, DEFAULT_CHUNK_SIZE, bulk=bulk)
    finally:
        for suffix in ("", "-wal", "-shm", "-writer"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)


def create_key(env: dict[str, str], sitrep: Path = BIN / "sitrep") -> str:
    out = subprocess.run(
        [sitrep, "keys", "create", "--name", f"bench-{time.time_ns()}", "--scope", "write"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def measure(
    args: argparse.Namespace,
    env: dict[str, str],
    key: str,
    report: dict,
    *,
    peers: bool,
    ceiling_db: Path | None = None,
    flat: Path | None = None,
    cached: Sequence[Path] = (),
    sqlite_beside: Path | None = None,
) -> None:
    """Scenarios A-D, G, F's batch POSTs and E on the Sitrep that ``env`` configures; with
    ``peers``, A and B alternate with Datasette's and the ceiling's rounds.
    ``sqlite_beside`` (the PostgreSQL run): a SQLite database whose Sitrep's rounds of A-D
    alternate with these, for the PostgreSQL/SQLite ratios: measured one run
    after the other, they moved with the machine (B at 0.49x, then 0.73x alternating;
    docs/performance-log.md)."""
    a, b, c, d = READS.values()
    sitrep_cmd = [str(BIN / "sitrep"), "serve", "--port", "{port}", "--workers", "2"]
    run = {
        "rounds": args.rounds,
        "duration": args.duration,
        "connections": args.connections,
        "cached": cached,
    }
    with server(sitrep_cmd, env, "/readyz") as (sitrep, sitrep_pid):
        event_id = httpx.get(f"{sitrep}{a}").json()["items"][0]["id"]
        mine = {"sitrep": sitrep_pid}
        if peers:
            assert flat is not None and ceiling_db is not None
            lean = "&_nocount=1&_nofacet=1"
            ds_a = (
                f"/flat/events.json?country=UA&occurred_on__gte={MONTH[0]}"
                f"&occurred_on__lte={MONTH[1]}&_sort_desc=occurred_on&_size=100"
            )
            lon0, lat0, lon1, lat1 = FRONT_BOX.split(",")
            ds_b = (
                f"/flat/events.json?longitude__gte={lon0}&longitude__lte={lon1}"
                f"&latitude__gte={lat0}&latitude__lte={lat1}&occurred_on__gte={MONTH[0]}"
                f"&occurred_on__lte={MONTH[1]}&_sort_desc=occurred_on&_size=100"
            )
            datasette_cmd = [
                str(BIN / "datasette"),
                "serve",
                str(flat),
                "--port",
                "{port}",
                "--setting",
                "sql_time_limit_ms",
                "20000",
                "--setting",
                "default_page_size",
                "100",
            ]
            ceiling_cmd = [
                str(BIN / "uvicorn"),
                "bench.ceiling:app",
                "--port",
                "{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ]
            with (
                server(datasette_cmd, {}, "/-/versions.json") as (ds, ds_pid),
                server(
                    ceiling_cmd,
                    {"CEILING_DATABASE": str(ceiling_db)},
                    f"/page?country=UA&date_from={MONTH[0]}&date_to={MONTH[1]}",
                ) as (ceiling, ceiling_pid),
            ):
                report["A"] = interleaved(
                    {
                        "sitrep": sitrep + a,
                        "datasette": ds + ds_a,
                        "datasette_lean": ds + ds_a + lean,
                        "ceiling": f"{ceiling}/page?country=UA&date_from={MONTH[0]}"
                        f"&date_to={MONTH[1]}",
                    },
                    pids={"sitrep": sitrep_pid, "ceiling": ceiling_pid},
                    others=[ds_pid],
                    **run,
                )
                report["B"] = interleaved(
                    {"sitrep": sitrep + b, "datasette_lean": ds + ds_b + lean},
                    pids={"sitrep": sitrep_pid},
                    others=[ds_pid, ceiling_pid],
                    **run,
                )
        alone = {"C": c, "D": d} if peers else {"A": a, "B": b, "C": c, "D": d}
        # The SQLite database is read into the cache for these rounds only.
        beside: AbstractContextManager[tuple[str, int] | None] = nullcontext()
        alone_run = run
        if sqlite_beside:
            beside_env = {"SITREP_DATABASE_URL": f"sqlite:///{sqlite_beside}"}
            beside = server(sitrep_cmd, beside_env, "/readyz")
            alone_run = {**run, "cached": [*cached, sqlite_beside]}
        with beside as sqlite:
            for name, path in alone.items():
                urls, pids = {"sitrep": sitrep + path}, dict(mine)
                if sqlite:
                    urls["sqlite"], pids["sqlite"] = sqlite[0] + path, sqlite[1]
                report[name] = interleaved(urls, pids=pids, **alone_run)
        report["G_get"] = interleaved(
            {"sitrep": f"{sitrep}/v1/events/{event_id}"}, pids=mine, **run
        )
        with post_script(key) as script:
            for name, connections in (("G_post", args.connections), ("G_post_2", 2)):
                # At 16 connections a POST's latency is mostly the queue in front of it (16
                # / throughput); two are a client or two posting reports back to back.
                report[name] = interleaved(
                    {"sitrep": f"{sitrep}/v1/events"},
                    pids=mine,
                    script=script,
                    **{**run, "connections": connections},
                )["sitrep"]
        backfill = new_events(20_000)
        kinds = {"F_batch_posts": backfill, "F_new_reports": new_reports(backfill)}
        measured: dict[str, list[dict]] = {name: [] for name in kinds}
        for _ in range(args.rounds):
            for name, events in kinds.items():
                read_into_cache(cached)
                settle([sitrep_pid])
                measured[name].append(batch_posts(sitrep, key, events, sitrep_pid))
        for name, rounds in measured.items():
            report[f"{name}_rounds"] = rounds
            report[f"{name}_per_s"] = sorted(r["events_per_s"] for r in rounds)[len(rounds) // 2]
    with server([*sitrep_cmd[:-2], "--workers", "1"], env, "/readyz") as (sitrep, pid):
        report["E"] = csv_export(sitrep, pid)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def batch_rounds(report: dict, name: str) -> str:
    """A kind of batch POSTs' median events/s, then each round's with the share of the
    work its busiest worker did."""
    return (
        f"{report[f'{name}_per_s']:,} events/s (median; "
        + ", ".join(
            f"{r['events_per_s']:,} with {r['busiest_worker']:.0%} on one worker"
            for r in report[f"{name}_rounds"]
        )
        + ")"
    )


def batch_posts_line(report: dict) -> str:
    return (
        f"batch POSTs of past events (a backfill) {batch_rounds(report, 'F_batch_posts')};"
        f" of new reports, dated in the data's last {NEW_REPORT_DAYS} days,"
        f" {batch_rounds(report, 'F_new_reports')}"
    )


def posts_line(report: dict, connections: int) -> str:
    """G's POSTs: every round's p99, and the server's median CPU per POST, which the load
    generator's share of the cores does not move."""
    return "; ".join(
        f"at {n} connections p99 by round"
        f" {', '.join(f'{p:.1f}' for p in report[name]['p99_rounds'])} ms, server CPU per"
        f" POST {report[name]['cpu_ms']:.2f} ms"
        for name, n in (("G_post", connections), ("G_post_2", 2))
    )


def markdown(report: dict, args: argparse.Namespace) -> str:
    sq, lines = report["sqlite"], []
    lines.append(
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores),"
        f" {sq['import']['events']:,} events, wrk -t2 -c{args.connections}, "
        f"{args.rounds} interleaved rounds of {args.duration} s (median round);"
        f" Datasette {version('datasette')}; Python {platform.python_version()}"
        f" ({os.path.realpath(sys.executable)}).\n"
    )
    lines.append("| scenario | server | req/s | p50 ms | p99 ms |")
    lines.append("|---|---|---|---|---|")
    single = {"G_post": "sitrep", "G_post_2": "sitrep, 2 connections"}
    for scenario in ("A", "B", "C", "D", "G_get", "G_post", "G_post_2"):
        for name, result in (
            sq[scenario].items() if scenario not in single else [(single[scenario], sq[scenario])]
        ):
            lines.append(
                f"| {scenario} | {name} | {result['rps']:.0f} | {result['p50']:.1f} |"
                f" {result['p99']:.1f} |"
            )
    a = sq["A"]
    lines.append("")
    lines.append(
        f"- A: Sitrep/Datasette {ratio(a['sitrep']['rps'], a['datasette']['rps'])}, "
        f"Sitrep/Datasette-lean {ratio(a['sitrep']['rps'], a['datasette_lean']['rps'])},"
        f" Sitrep/ceiling {ratio(a['sitrep']['rps'], a['ceiling']['rps'])}; server CPU per"
        f" request: Sitrep {a['sitrep']['cpu_ms']:.2f} ms, ceiling {a['ceiling']['cpu_ms']:.2f}"
        f" ms (ceiling/Sitrep {ratio(a['ceiling']['cpu_ms'], a['sitrep']['cpu_ms'])})"
    )
    b = sq["B"]
    lines.append(
        f"- B: Sitrep/Datasette-lean {ratio(b['sitrep']['rps'], b['datasette_lean']['rps'])}"
    )
    lines.append(f"- G POSTs: {posts_line(sq, args.connections)}")
    e = sq["E"]
    lines.append(
        f"- E: CSV export of {e['rows']:,} events at {speeds(e)} rows/s (a first pass, then"
        f" a second), peak RSS {e['peak_rss_mb']:.0f} MB"
    )
    imported, ceiling = sq["import"], sq["import"].get("ceiling")
    bulk = sq["import"].get("ceiling_bulk")
    lines.append(
        f"- F: import {imported['events_per_s']:,} events/s ({imported['seconds']} s)"
        + (
            f"; its ceiling, SQLite alone storing the same rows,"
            f" {ceiling['events_per_s']:,} events/s ({ceiling['seconds']} s), Sitrep/ceiling"
            f" {ratio(imported['events_per_s'], ceiling['events_per_s'])}"
            if ceiling
            else ""
        )
        + (
            f"; with the child tables' indexes also built after,"
            f" {bulk['events_per_s']:,} events/s ({bulk['seconds']} s)"
            if bulk
            else ""
        )
        + f"; {batch_posts_line(sq)}"
    )
    if "postgresql" in report:
        pg = report["postgresql"]
        lines.append(
            "\nPostgreSQL (same data, same scenarios; for A-D's ratios Sitrep on SQLite served"
            " alternate rounds, G's are against the SQLite run above):\n"
        )
        lines.append("| scenario | req/s | p50 ms | p99 ms | PostgreSQL/SQLite req/s |")
        lines.append("|---|---|---|---|---|")
        for scenario in ("A", "B", "C", "D", "G_get", "G_post", "G_post_2"):
            result, sqlite_result = (
                (pg[scenario], sq[scenario])
                if scenario in single
                else (pg[scenario]["sitrep"], pg[scenario].get("sqlite", sq[scenario]["sitrep"]))
            )
            lines.append(
                f"| {scenario} | {result['rps']:.0f} | {result['p50']:.1f} | "
                f"{result['p99']:.1f} | {ratio(result['rps'], sqlite_result['rps'])} |"
            )
        lines.append(f"\n- G POSTs (PostgreSQL): {posts_line(pg, args.connections)}")
        lines.append(
            f"- F (PostgreSQL): import {pg['import']['events_per_s']:,} events/s;"
            f" {batch_posts_line(pg)}; "
            f"E: {speeds(pg['E'])} rows/s, peak RSS "
            f"{pg['E']['peak_rss_mb']:.0f} MB"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", help="also measure on this (wiped) PostgreSQL database")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the databases of the last run with the same --work",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        for stale in (
            "sitrep.db",
            "sitrep.db-wal",
            "sitrep.db-shm",
            "flat.db",
            "import-sqlite.json",
            "import-postgresql.json",
        ):
            (args.work / stale).unlink(missing_ok=True)
    data = args.work / f"events-{args.events}.ndjson"
    if not data.exists():
        data.write_bytes(b"\n".join(generate_events(args.events)) + b"\n")
    report: dict = {"sqlite": {}}
    run_sqlite(args, args.work, data, report["sqlite"])
    if args.postgres:
        record = args.work / "import-postgresql.json"
        if not (args.reuse and record.exists()):
            subprocess.run(
                [
                    "psql",
                    args.postgres,
                    "-q",
                    "-c",
                    "DROP SCHEMA public CASCADE; CREATE SCHEMA public",
                ],
                check=True,
            )
        pg: dict = {"import": loaded(args, record, args.postgres, data)}
        env = {"SITREP_DATABASE_URL": args.postgres}
        sqlite_beside = args.work / "sitrep.db"
        measure(args, env, create_key(env), pg, peers=False, sqlite_beside=sqlite_beside)
        report["postgresql"] = pg
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(markdown(report, args))


if __name__ == "__main__":
    main()
