"""SQLite checkpoints run apart from the requests, in a thread of each server process.

SQLite copies its write-ahead log back into the database file (a checkpoint) when a
commit finds the log past 1,000 pages, and that commit then waits for the disk: on a
1M-event database a POST's p99 was 116-289 ms with two clients, 9.6-11.4 ms with the
checkpoints done here instead (docs/performance.md). A ``PASSIVE`` checkpoint neither
waits for nor blocks readers and writers. Short-lived engines (``sitrep import``, the
migrations) keep SQLite's own.
"""

import logging
import threading
import weakref

from sqlalchemy import Engine

INTERVAL_S = 1.0
logger = logging.getLogger("sitrep")
_RUNNING: "weakref.WeakKeyDictionary[Engine, _Checkpoints]" = weakref.WeakKeyDictionary()


class _Checkpoints(threading.Thread):
    def __init__(self, engine: Engine) -> None:
        super().__init__(name="sitrep-checkpoints", daemon=True)
        # Weak: an engine nobody else holds (a test's app) ends its thread.
        self._engine = weakref.ref(engine)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(INTERVAL_S):
            engine = self._engine()
            if engine is None:
                return
            try:
                connection = engine.raw_connection()
                try:
                    connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    connection.close()
            except Exception as exc:  # the next tick tries again
                logger.warning("checkpoint failed: %s", exc)
            del engine


def start(engine: Engine) -> None:
    checkpoints = _Checkpoints(engine)
    _RUNNING[engine] = checkpoints
    checkpoints.start()


def stop(engine: Engine) -> None:
    """Stop the engine's checkpoint thread, if it has one, and wait for it."""
    checkpoints = _RUNNING.pop(engine, None)
    if checkpoints is not None:
        checkpoints.stopped.set()
        checkpoints.join(timeout=10)
