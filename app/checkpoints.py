"""SQLite checkpoints run apart from the requests, in a thread of each server process.

SQLite copies its write-ahead log back into the database file (a checkpoint) when a
commit finds the log past 1,000 pages, and that commit then waits for the disk: on a
1M-event database a POST's p99 was 116-289 ms with two clients, 9.6-11.4 ms with the
checkpoints done here instead (docs/performance-log.md). A ``PASSIVE`` checkpoint neither
waits for nor blocks readers and writers. Short-lived engines (``sitrep import``, the
migrations) keep SQLite's own.
"""

import logging
import threading

from sqlalchemy import Engine

INTERVAL_S = 1.0
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
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                finally:
                    connection.close()
            except Exception as exc:  # the next tick tries again
                logger.warning("checkpoint failed: %s", exc)


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
