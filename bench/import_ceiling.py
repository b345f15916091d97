"""The import's ceiling: SQLite alone storing the rows Sitrep's import stored.

It copies them from Sitrep's database into an empty one with the same schema as Sitrep's
import writes into an empty database: in chunks of the import's size, each its own
transaction in the same journal mode, then the CSV lines (``event_lines``, kept in date
order) in one sorted pass, then the events' indexes; the rollup is copied whole at the end.
No Python runs for a row, so an import that stores these rows as Sitrep's does cannot be
much faster on this machine; reading the rows back out of Sitrep's database is part of the
ceiling's time (about 7% at 1M events, docs/performance-log.md). The gap between Sitrep's
import and the ceiling is the cost of our own layers: reading, validating and preparing
each event, and handing its rows to SQLite.

Until the thirty-seventh session the import, and so this ceiling, wrote each chunk's lines
with it, scattered over the whole table. With ``bulk``, the child tables' indexes are also
built after loading, which the import does not do (docs/performance.md).
"""

import os
import sqlite3
import time
from pathlib import Path

_CHILDREN = ("actors", "sources", "event_tags", "revisions")
# A chunk's rows: those of the events whose ids lie between its first and last, in id order.
_CHUNK_COPIES = (
    "INSERT INTO events SELECT * FROM src.events WHERE id BETWEEN :lo AND :hi",
    *(
        f"INSERT INTO {table} SELECT * FROM src.{table} WHERE event_id BETWEEN :lo AND :hi"
        for table in _CHILDREN
    ),
)
_LINES = "INSERT INTO event_lines SELECT * FROM src.event_lines ORDER BY occurred_on, id"


def measure(source: Path, target: Path, chunk_size: int, *, bulk: bool = False) -> dict:
    """Copy ``source``'s events into ``target`` (migrated, empty): events/s and seconds."""
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("ATTACH ? AS src", (str(source),))
        tables = ("events", *_CHILDREN) if bulk else ("events",)
        indexes = db.execute(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({','.join('?' * len(tables))})",
            tables,
        ).fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        ids = [row[0] for row in db.execute("SELECT id FROM src.events ORDER BY id")]
        started = time.perf_counter()
        for start in range(0, len(ids), chunk_size):
            bounds = {"lo": ids[start], "hi": ids[min(start + chunk_size, len(ids)) - 1]}
            db.execute("BEGIN IMMEDIATE")
            for statement in _CHUNK_COPIES:
                db.execute(statement, bounds)
            db.execute("COMMIT")
        db.execute(_LINES)
        db.execute("INSERT INTO event_rollups SELECT * FROM src.event_rollups")
        db.execute(f"PRAGMA threads={os.cpu_count() or 1}")  # as the import builds them
        for _, sql in indexes:
            db.execute(sql)
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    return {"seconds": round(elapsed, 1), "events_per_s": round(len(ids) / elapsed)}
