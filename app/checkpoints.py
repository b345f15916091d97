"""SQLite checkpoints run apart from the requests, in a thread of each server process.

SQLite copies its write-ahead log back into the database file (a checkpoint) when a
commit finds the log past 1,000 pages, and that commit then waits for the disk: on a
1M-event database a POST's p99 was 116-289 ms with two clients, 9.6-11.4 ms with the
checkpoints done here instead (docs/performance-log.md). A ``PASSIVE`` checkpoint neither
waits for nor blocks readers and writers. Short-lived engines (``sitrep import``, the
migrations) keep SQLite's own.

Under steady writes a ``PASSIVE`` checkpoint never reaches the log's end, and SQLite starts
the log over only once all of it is copied: a minute of POSTs left a 2.7 GB log
(docs/performance-log.md). So once the log passes ``LOG_LIMIT_PAGES`` a ``RESTART``
checkpoint holds the writers back while it copies the rest (a second's writes at most)
and waits for the readers to leave the log, giving up after ``RESTART_WAIT_MS``; the next
write then starts the log over. (``TRUNCATE``, which also empties the file, held POSTs
back longer: p99 65-82 ms against 45-54.)
"""

import logging
import threading
from contextlib import closing
from typing import Any

from sqlalchemy import Engine

INTERVAL_S = 1.0
LOG_LIMIT_PAGES = 10_000  # 40 MB of 4 KB pages
RESTART_WAIT_MS = 100
logger = logging.getLogger("sitrep")
_RUNNING: dict[Engine, "_Checkpoints"] = {}


class _Checkpoints(threading.Thread):
    def __init__(self, engine: Engine) -> None:
        super().__init__(name="sitrep-checkpoints", daemon=True)
        self.engine = engine
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(INTERVAL_S):
            try:
                connection = self.engine.raw_connection()
                try:
                    _checkpoint(connection)
                finally:
                    connection.close()
            except Exception as exc:  # the next tick tries again
                logger.warning("checkpoint failed: %s", exc)


def _checkpoint(connection: Any) -> None:
    with closing(connection.cursor()) as cursor:
        _busy, log_pages, _copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if log_pages <= LOG_LIMIT_PAGES:
            return
        (timeout,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={timeout}")


def start(engine: Engine) -> None:
    """Checkpoint ``engine``'s database every ``INTERVAL_S`` until ``stop(engine)``
    (``app.db.close_engine``, when the server stops)."""
    checkpoints = _Checkpoints(engine)
    _RUNNING[engine] = checkpoints
    checkpoints.start()


def stop(engine: Engine) -> None:
    """Stop the engine's checkpoint thread, if it has one, and wait for it."""
    checkpoints = _RUNNING.pop(engine, None)
    if checkpoints is not None:
        checkpoints.stopped.set()
        checkpoints.join(timeout=10)
